export { buildWrapKeel, callFields, unreadStreamRules } from './options.js';
export type { KeelCallOptions, WithKeel, WrapFeatureConfig, WrapOptions } from './options.js';
export { dropInBodyParser } from './body.js';
export type { DropInBody, DropInRole, DropInShape } from './body.js';
export { MODEL_FROM_CALL } from './model-from-call.js';
export { openRawStream } from './raw-stream.js';
export type { OpenedRawStream, UnreadStreamRule } from './raw-stream.js';
