import type { NativeOutputSchema, Provider, ProviderRequest } from '../provider/provider.js';

/**
 * The pipeline's hook for native structured output: a request asking for `outputSchema` keeps
 * it only when the provider that will answer says it can enforce that schema for that model.
 * Checked per target, so a fallback or a budget degrade to another model re-decides.
 */
export function withOutputSchema(request: ProviderRequest, provider: Provider | undefined, output: NativeOutputSchema | undefined): ProviderRequest {
  if (!output || !supportsNative(provider, request.model, output)) return request;
  return { ...request, outputSchema: output };
}

export function supportsNative(provider: Provider | undefined, model: string, output: NativeOutputSchema): boolean {
  return provider?.supportsOutputSchema?.(model, output.schema) === true;
}
