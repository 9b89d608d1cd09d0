/**
 * The primary model of a feature whose model comes from each call (the drop-in wrappers): the
 * call's `model` replaces it, so it is never sent, and configuration checks (prices) skip it.
 */
export const MODEL_FROM_CALL = '(the model of each call)';
