export { createOpenAIProvider } from './provider.js';
export type { OpenAIProviderOptions } from './provider.js';
export { mapOpenAIError } from './map-error.js';
export type { ErrorContext } from './map-error.js';
export { wrapOpenAI } from './wrap-openai.js';
export type { OpenAIRequestOptions, WrapOpenAIOptions, WrappedChatCompletions, WrappedOpenAI } from './wrap-openai.js';
export type { KeelCallOptions, WithKeel, WrapFeatureConfig, WrapOptions } from '@keel/core';
export { fitsStrictSubset } from './strict-schema.js';
