export { createAnthropicProvider } from './provider.js';
export type { AnthropicProviderOptions } from './provider.js';
export { mapAnthropicError } from './map-error.js';
export type { ErrorContext } from './map-error.js';
export { DEFAULT_MAX_TOKENS } from './build-request.js';
export { wrapAnthropic } from './wrap-anthropic.js';
export type { AnthropicRequestOptions, WrapAnthropicOptions, WrappedAnthropic, WrappedMessages } from './wrap-anthropic.js';
export type { KeelCallOptions, WithKeel, WrapFeatureConfig, WrapOptions } from '@keel/core';
