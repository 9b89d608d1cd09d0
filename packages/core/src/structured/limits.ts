/**
 * Caps enforced on model output BEFORE any parsing, so hostile output (a 10 MB body, 10,000-deep
 * nesting) costs one bounded linear scan and never reaches the parser. 1 Mi characters parse in a
 * few milliseconds (see `pnpm bench` → bench/results/structured-parse.json), far under a 50 ms
 * event-loop stall.
 */
export interface OutputLimits {
  /** Longest output parsed, in UTF-16 code units (`string.length`). @default 1048576 */
  readonly maxChars: number;
  /** Deepest nesting of objects and arrays accepted. @default 64 */
  readonly maxDepth: number;
}

export const DEFAULT_OUTPUT_LIMITS: OutputLimits = { maxChars: 1_048_576, maxDepth: 64 };
