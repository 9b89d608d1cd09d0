/**
 * Providers whose APIs continue a trailing assistant message (a "prefill") instead of answering
 * after it: the Anthropic Messages API and a llama.cpp server. OpenAI's Chat Completions starts
 * a new turn, so its streams recover by restarting. A model ref's `prefill` overrides this (a
 * newer model that refuses prefills, or an OpenAI-compatible server that continues them).
 */
const CONTINUES_PREFILL: ReadonlySet<string> = new Set(['anthropic', 'llamacpp']);

export function acceptsPrefill(ref: { readonly provider: string; readonly prefill?: boolean | undefined }): boolean {
  return ref.prefill ?? CONTINUES_PREFILL.has(ref.provider);
}
