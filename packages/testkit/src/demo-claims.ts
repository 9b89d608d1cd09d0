/**
 * The examples' claim ledger. Each demo step states a claim; a claim that does not hold is
 * printed at once and listed again at the end, and the demo exits 1, so a demo can never print
 * a fault as a success and still pass.
 */
export interface DemoClaims {
  /** Records `what` as broken unless `holds`; the summary names it after `step`. */
  check(step: string, holds: boolean, what: string): void;
  /** Records a broken claim: `summary` goes into the final list, `shown` is printed now. */
  broken(summary: string, shown?: string): void;
  /** Prints every broken claim and sets `process.exitCode = 1` when there is one. */
  exitOnBroken(): void;
}

export function createDemoClaims(): DemoClaims {
  const lines: string[] = [];
  const broken = (summary: string, shown = summary) => {
    lines.push(summary);
    console.error(`  ✗ claim broken: ${shown}`);
  };
  return {
    check: (step, holds, what) => {
      if (!holds) broken(`${step}: ${what}`, what);
    },
    broken,
    exitOnBroken: () => {
      if (lines.length === 0) return;
      console.error(`\n${lines.length} claim(s) did not hold:\n${lines.map((line) => `  - ${line}`).join('\n')}`);
      process.exitCode = 1;
    },
  };
}

/**
 * `KEEL_DEMO_BREAK=<step id>` plays that step with no fault at all: a demo's own test uses it
 * to prove a broken claim fails the run.
 */
export function sabotaged(step: string): boolean {
  return process.env['KEEL_DEMO_BREAK'] === step;
}
