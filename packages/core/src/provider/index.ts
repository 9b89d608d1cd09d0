export type { ChatMessage, FinishReason, Usage } from './messages.js';
export type { CallContext, Embedder, NativeOutputSchema, Provider, ProviderRequest, ProviderResponse, ProviderStreamPart } from './provider.js';
export { errorClassNames, errorDetail, isAbortError, oneLine, socketCodeSuffix, socketErrorCode, transportFailure, TRANSPORT_TIMEOUT_CODES } from './transport-errors.js';
export type { AdapterErrorContext, TransportFailure } from './transport-errors.js';
export { requestContentOf } from './request-content.js';
export { attemptErrorContext } from './error-context.js';
export { clientOptionSecrets } from './client-secrets.js';
export { addCounts, isTokenCount, readUsage } from './usage.js';
export type { UsageCounts } from './usage.js';
