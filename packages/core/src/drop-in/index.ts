export { buildWrapKeel, callFields, unreadStreamRule } from './options.js';
export type { KeelCallOptions, WithKeel, WrapFeatureConfig, WrapOptions } from './options.js';
export { MODEL_FROM_CALL } from './model-from-call.js';
export { openRawStream } from './raw-stream.js';
export type { OpenedRawStream, UnreadStreamRule } from './raw-stream.js';
