export { KeelError, sanitizeCause } from './keel-error.js';
export type { AttemptRecord, BudgetDetails, CandidateRecord, KeelErrorOptions, OutputDetails, SanitizedCause } from './keel-error.js';
export { ERROR_KINDS, KEEL_ERROR_KINDS, CALLER_CAUSED_KINDS, isRetryableKind } from './kinds.js';
export type { KeelErrorKind } from './kinds.js';
export { redact } from './redact.js';
export { MIN_ECHO_LENGTH, MIN_WHOLE_ECHO_LENGTH, redactEchoes } from './echo.js';
export type { RequestContent } from './echo.js';
