import type { ModelRef } from '../config/schema.js';
import type { NativeOutputSchema } from '../provider/provider.js';

/** What `keel.object` and cascades ask of one pipeline call, beyond a plain `keel.chat`. */
export interface StepOptions {
  /** Run on these candidates instead of the feature's models (a cascade step: one model). */
  readonly candidates?: readonly ModelRef[] | undefined;
  /** Native structured output, kept only where the answering provider supports it. */
  readonly outputSchema?: NativeOutputSchema | undefined;
  /** Ask for output logprobs (a cascade gate with `minConfidence`). */
  readonly logprobs?: boolean | undefined;
}
