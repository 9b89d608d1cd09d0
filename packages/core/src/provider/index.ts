export type { ChatMessage, FinishReason, Usage } from './messages.js';
export type { CallContext, Provider, ProviderRequest, ProviderResponse, ProviderStreamPart } from './provider.js';
