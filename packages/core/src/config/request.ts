import { z } from 'zod';
import { KeelError } from '../errors/keel-error.js';
import { formatIssues } from './resolve.js';

const messageSchema = z
  .object({
    role: z.enum(['system', 'user', 'assistant']),
    content: z.string(),
  })
  .strict();

/** A call as the service writes it. */
export const chatRequestSchema = z
  .object({
    /** Which configured feature this call belongs to: its policies and budgets apply. */
    feature: z.string().min(1),
    messages: z.array(messageSchema).min(1, 'at least one message is required'),
    /** End user, for per-user budgets and limits. */
    user: z.string().min(1).optional(),
    /** Tenant, for per-tenant budgets and cache isolation. */
    tenant: z.string().min(1).optional(),
    /** Override the feature's primary model (same provider). */
    model: z.string().min(1).optional(),
    maxTokens: z.number().int().positive().optional(),
    /**
     * How many answers the provider generates (OpenAI's `n`): the budget reserves `maxTokens`
     * of output for each. Keel does not send it; pass the provider's own field in `extra`.
     */
    choices: z.number().int().positive().max(128).optional(),
    /**
     * An upper bound on input tokens that `messages` does not show — images, audio, tool
     * definitions and calls sent through `extra` — added to Keel's own count for budgets and
     * rate limits. The drop-in wrappers fill it in from the provider's published rules.
     */
    uncountedInputTokens: z.number().int().nonnegative().optional(),
    temperature: z.number().min(0).max(2).optional(),
    signal: z.instanceof(AbortSignal).optional(),
    /** Total time for this call in milliseconds; tightens the feature's `timeouts.totalMs`. */
    deadlineMs: z.number().int().positive().optional(),
  })
  .strict();

export type ChatRequest = z.input<typeof chatRequestSchema> & {
  /** Provider-specific request fields forwarded untouched (see ProviderRequest.extra). */
  readonly extra?: Readonly<Record<string, unknown>> | undefined;
};

export type ValidatedRequest = z.output<typeof chatRequestSchema> & {
  readonly extra?: Readonly<Record<string, unknown>> | undefined;
};

/** Validates a call; bad input becomes a `bad_request` KeelError that lists every problem. */
export function validateRequest(request: unknown): ValidatedRequest {
  const { extra, ...rest } = (request ?? {}) as { extra?: Readonly<Record<string, unknown>> };
  const parsed = chatRequestSchema.safeParse(rest);
  if (!parsed.success) {
    const issues = formatIssues(parsed.error);
    // The issues name fields and rules, never values, so no prompt text leaks into the message.
    throw new KeelError('bad_request', `Invalid request: ${issues.join('; ')}`, { issues });
  }
  return extra === undefined ? parsed.data : { ...parsed.data, extra };
}
