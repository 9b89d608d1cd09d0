/** What a threshold policy decides for one cached entry at one similarity. */
export interface ThresholdDecision {
  readonly serve: boolean;
  /** The similarity this entry needs (reported on the hit); Infinity while nothing would be served. */
  readonly threshold: number;
}

/** A policy's state for one cached entry (its learned threshold, if it learns). */
export interface EntryThreshold {
  decide(similarity: number): ThresholdDecision;
  /** Feedback: serving this entry at `similarity` was (or would have been) correct or not. */
  observe(similarity: number, correct: boolean): void;
}

/** Decides when a similar entry may be served: a fixed threshold, or one learned per entry. */
export interface ThresholdPolicy {
  readonly name: string;
  forEntry(): EntryThreshold;
}
