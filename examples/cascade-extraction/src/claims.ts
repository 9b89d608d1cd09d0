/**
 * Each demo step states a claim in its heading; `claim` checks it against what really happened
 * and `exitOnBrokenClaims` ends the demo non-zero naming every claim that did not hold, so a
 * demo can never print a fault as a success and still pass.
 */
const broken: string[] = [];

export function claim(step: string, holds: boolean, what: string): void {
  if (holds) return;
  broken.push(`${step}: ${what}`);
  console.error(`  ✗ claim broken: ${what}`);
}

export function exitOnBrokenClaims(): void {
  if (broken.length === 0) return;
  console.error(`\n${broken.length} claim(s) did not hold:\n${broken.map((line) => `  - ${line}`).join('\n')}`);
  process.exitCode = 1;
}

/**
 * `KEEL_DEMO_BREAK=<step id>` plays that step with no fault at all: the demo's own test uses it
 * to prove a broken claim fails the run.
 */
export function sabotaged(step: string): boolean {
  return process.env['KEEL_DEMO_BREAK'] === step;
}
