import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const demo = (env: Record<string, string> = {}) =>
  run(process.execPath, ['--import', 'tsx', '--conditions=keel-source', 'src/main.ts'], { cwd: root, timeout: 60_000, env: { ...process.env, OPENAI_API_KEY: '', ...env } });

describe('the cascade extraction demo', () => {
  it('runs with no API key and every claim holds', async () => {
    const { stdout, stderr } = await demo();
    expect(stderr).not.toContain('claim broken');
    expect(stdout).toContain('mode native, answered by gpt-4o-mini');
    expect(stdout).toMatch(/gpt-4o-mini: escalated \(schema\), 2 call\(s\)/);
    expect(stdout).toMatch(/gpt-4o-mini: escalated \(predicate\), 1 call\(s\)/);
    expect(stdout).toContain('budgetLimited true, answered by gpt-4o-mini');
    expect(stdout).toMatch(/gpt-4o: budget, 0 call\(s\)/);
    expect(stdout).toContain('validation: output: a "__proto__"');
  });

  it('exits 1, naming the claim, when a step plays without its fault', async () => {
    const failure = await demo({ KEEL_DEMO_BREAK: 'escalation' }).then(
      () => undefined,
      (error: unknown) => error as { code?: number; stderr?: string },
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('✗ claim broken: the cheap step was left for "schema" after its repair call');
  });
});
