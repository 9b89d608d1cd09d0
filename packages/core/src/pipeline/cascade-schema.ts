import { z } from 'zod';

/**
 * A feature's `cascade` block: its `models` become steps, cheap → strong. Each step runs the
 * whole pipeline on that one model (retries, breaker, timeouts, budget); its answer is judged by
 * the gate, and a failed gate moves to the next step while the budget can afford it.
 */
export const cascadeSchema = z
  .object({
    /** One repair call per step (the zod issues sent back) before escalating. @default true */
    repair: z.boolean().default(true),
    /** Which checks the gate runs, besides schema validity (always on for `keel.object`). */
    gate: z
      .object({
        /** An empty value (`{}`, `[]`, `""`, `null`, or an object of only empty fields) fails. @default true */
        nonEmpty: z.boolean().default(true),
        /** A refusal (the provider's, or an answer that only declines) fails. @default true */
        refusal: z.boolean().default(true),
        /** An answer cut at the output cap (`finishReason: 'length'`) fails. @default true */
        truncated: z.boolean().default(true),
        /**
         * The model's own confidence: the answer's mean token probability, exp(mean logprob),
         * must reach this. Logprobs are asked for where the provider returns them (OpenAI);
         * where none come back the check is skipped. Off by default.
         */
        minConfidence: z.number().gt(0).max(1).optional(),
      })
      .strict()
      .default({ nonEmpty: true, refusal: true, truncated: true }),
  })
  .strict();

export type CascadeConfig = z.input<typeof cascadeSchema>;
export type ResolvedCascade = z.output<typeof cascadeSchema>;
