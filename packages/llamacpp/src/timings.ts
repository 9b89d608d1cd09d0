/**
 * llama-server's `timings` block (on a chat completion, and on the last chunk of a stream): how
 * long prefill and decode took on the server. TTFT is dominated by prefill (`promptMs`), tokens
 * per second is decode (`predictedPerSecond`); `cacheN` prompt tokens were reused from the slot's
 * KV cache and not evaluated again.
 */
export interface LlamaTimings {
  /** Prompt tokens reused from the slot's KV cache (`cache_n`). */
  readonly cacheN: number;
  /** Prompt tokens evaluated this time (`prompt_n`). */
  readonly promptN: number;
  readonly promptMs: number;
  readonly promptPerSecond: number;
  /** Output tokens decoded (`predicted_n`). */
  readonly predictedN: number;
  readonly predictedMs: number;
  readonly predictedPerSecond: number;
}

/** The `timings` of a completion or chunk, or undefined when it has none (or a malformed one). */
export function readTimings(body: unknown): LlamaTimings | undefined {
  const raw = (body as { timings?: unknown } | null | undefined)?.timings;
  if (typeof raw !== 'object' || raw === null) return undefined;
  const t = raw as Record<string, unknown>;
  const num = (key: string) => (typeof t[key] === 'number' && Number.isFinite(t[key]) ? t[key] : undefined);
  const fields = {
    cacheN: num('cache_n'),
    promptN: num('prompt_n'),
    promptMs: num('prompt_ms'),
    promptPerSecond: num('prompt_per_second'),
    predictedN: num('predicted_n'),
    predictedMs: num('predicted_ms'),
    predictedPerSecond: num('predicted_per_second'),
  };
  if (Object.values(fields).some((value) => value === undefined)) return undefined;
  return fields as LlamaTimings;
}
