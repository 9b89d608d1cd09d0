import { z } from 'zod';
import { KeelError } from '../errors/keel-error.js';
import { formatIssues } from './resolve.js';
import { timerMsSchema } from './schema.js';

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
    temperature: z.number().min(0).max(2).optional(),
    signal: z.instanceof(AbortSignal).optional(),
    /** Total time for this call in milliseconds; tightens the feature's `timeouts.totalMs`. */
    deadlineMs: timerMsSchema().positive().optional(),
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
