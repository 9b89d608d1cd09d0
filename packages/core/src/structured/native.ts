import type { NativeOutputSchema, Provider, ProviderRequest } from '../provider/provider.js';
import type { StepOptions } from './step-options.js';

/**
 * The pipeline's hook for a structured step (and `logprobs` for a confidence gate). Native structured output: a request asking for `outputSchema` keeps
 * it only when the provider that will answer says it can enforce that schema for that model.
 * Checked per target, so a fallback or a budget degrade to another model re-decides.
 */
export function withStepRequest(request: ProviderRequest, provider: Provider | undefined, step: StepOptions): ProviderRequest {
  const { outputSchema: output, logprobs } = step;
  const native = output !== undefined && supportsNative(provider, request.model, output);
  if (!native && !logprobs) return request;
  return { ...request, ...(native ? { outputSchema: output } : {}), ...(logprobs ? { logprobs: true } : {}) };
}

export function supportsNative(provider: Provider | undefined, model: string, output: NativeOutputSchema): boolean {
  return provider?.supportsOutputSchema?.(model, output.schema) === true;
}
