import { z } from 'zod';
import { KeelError } from '../errors/keel-error.js';
import { acceptPlainRequest } from './request-fast.js';
import { formatIssues } from './resolve.js';
import { timerMsSchema } from './schema.js';
import { requestCacheSchema } from '../cache/schema.js';

/** An object of named fields (not an array, not null): `extra` is spread into the provider's body. */
const isFieldObject = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);

const messageSchema = z
  .object({
    role: z.enum(['system', 'user', 'assistant']),
    content: z.string(),
  })
  .strict();

/** A call as the service writes it (`ChatRequest`). */
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
    /** Provider-specific request fields forwarded untouched (see ProviderRequest.extra). */
    extra: z.custom<Readonly<Record<string, unknown>>>(isFieldObject, 'expected an object of provider-specific fields').optional(),
    /** Total time for this call in milliseconds; tightens the feature's `timeouts.totalMs`. */
    deadlineMs: timerMsSchema().positive().optional(),
    /** Per-call cache controls: bypass, refresh, a stricter semantic threshold (docs/caching.md). */
    cache: requestCacheSchema.optional(),
  })
  .strict();

/** A call as the service writes it. */
export type ChatRequest = z.input<typeof chatRequestSchema>;

export type ValidatedRequest = z.output<typeof chatRequestSchema>;

/**
 * Validates a call; bad input becomes a `bad_request` KeelError that lists every problem. `extra`
 * is checked for its shape only and kept as the caller's own object (z.custom does not copy it).
 */
export function validateRequest(request: unknown): ValidatedRequest {
  // The everyday call is checked by hand; zod words the errors and judges anything unusual.
  const plain = acceptPlainRequest(request);
  if (plain) return plain;
  const parsed = chatRequestSchema.safeParse(request ?? {});
  if (!parsed.success) {
    const issues = formatIssues(parsed.error);
    // The issues name fields and rules, never values, so no prompt text leaks into the message.
    throw new KeelError('bad_request', `Invalid request: ${issues.join('; ')}`, { issues });
  }
  return parsed.data;
}
