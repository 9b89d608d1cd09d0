/**
 * Caps enforced on model output BEFORE any parsing, so hostile output (a 10 MB body, 10,000-deep
 * nesting) costs one bounded linear scan and never reaches the parser. Measured by
 * `pnpm bench:structured` (bench/results/structured-parse.json): strict JSON costs ~10–20 µs/KB,
 * so the 1 Mi-character cap bounds one answer at ~20 ms; the repair pass (jsonrepair) is far
 * slower and quadratic on trailing commas (~1.3 s for 256 KB on a loaded 2-core machine), so it
 * only runs on outputs up to `maxRepairChars`.
 */
export interface OutputLimits {
  /** Longest output parsed, in UTF-16 code units (`string.length`). @default 1048576 */
  readonly maxChars: number;
  /** Deepest nesting of objects and arrays accepted. @default 64 */
  readonly maxDepth: number;
  /** Longest JSON text the repair pass runs on; larger output must be strict JSON. @default 32768 */
  readonly maxRepairChars: number;
}

export const DEFAULT_OUTPUT_LIMITS: OutputLimits = { maxChars: 1_048_576, maxDepth: 64, maxRepairChars: 32_768 };
