export { createOpenAIProvider } from './provider.js';
export type { OpenAIProviderOptions } from './provider.js';
export { mapOpenAIError } from './map-error.js';
export type { ErrorContext } from './map-error.js';
