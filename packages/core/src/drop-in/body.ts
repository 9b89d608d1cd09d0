import { z } from 'zod';
import { formatIssues } from '../config/resolve.js';
import { KeelError } from '../errors/keel-error.js';
import type { ChatMessage } from '../provider/messages.js';
import type { KeelCallOptions } from './options.js';

/** How a drop-in treats one of its SDK's message roles. */
export interface DropInRole {
  /** The Keel role the message counts as (events, prompt hash, budgets). */
  readonly as: ChatMessage['role'];
  /**
   * Whether this message may go without content (`null` or absent): e.g. an OpenAI assistant
   * turn that only calls tools. Absent: content is required.
   */
  readonly contentOptional?: ((message: Readonly<Record<string, unknown>>) => boolean) | undefined;
}

/** The request-body shape of one SDK's chat call, as far as Keel reads it. */
export interface DropInShape {
  /** The roles the SDK defines; any other role is a `bad_request`. */
  readonly roles: Readonly<Record<string, DropInRole>>;
  /** Whether the body has a top-level `system` (Anthropic): a string or text blocks. */
  readonly topLevelSystem?: boolean | undefined;
}

/** What Keel takes from a drop-in body; everything else goes to the wire untouched. */
export interface DropInBody {
  readonly model: string;
  /** The simplified copy Keel validates again and accounts for, system first. */
  readonly messages: ChatMessage[];
  readonly call: KeelCallOptions | undefined;
}

type Part = { readonly type: string } & Readonly<Record<string, unknown>>;

/**
 * One content part or block. Keel reads text only, so only `text` parts (and the content of a
 * `tool_result` block) are checked; any other `type` (images, files, tool calls…) passes as the
 * SDK's concern, so new part types keep working.
 */
const partSchema: z.ZodType<Part> = z
  .looseObject({ type: z.string() }, { error: 'a content part must be an object with a string `type`' })
  .superRefine((part, ctx) => {
    if (part.type === 'text' && typeof part.text !== 'string') {
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'a text part needs a string `text`' });
    }
    if (part.type === 'tool_result' && part.content !== undefined) {
      const nested = contentSchema.safeParse(part.content);
      for (const issue of nested.error?.issues ?? []) ctx.addIssue({ code: 'custom', path: ['content', ...issue.path], message: issue.message });
    }
  });

/** A message's content: a string or an array of parts, the two shapes both SDKs accept. */
const contentSchema = z.union([z.string(), z.array(z.lazy(() => partSchema))], {
  error: 'expected a string or an array of content parts',
});

type Content = z.output<typeof contentSchema>;

/** A string as is; parts as their text joined: `text` parts and `tool_result` contents. Other parts count as ''. */
function textOf(content: Content | null | undefined): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === 'text' ? (part.text as string) : part.type === 'tool_result' ? textOf(part.content as Content | undefined) : '')).join('');
}

function messageSchema(roles: DropInShape['roles']) {
  const names = Object.keys(roles) as [string, ...string[]];
  return z
    .looseObject({ role: z.enum(names), content: contentSchema.nullish() }, { error: 'a message must be an object' })
    .superRefine((message, ctx) => {
      const rule = roles[message.role]!;
      if (message.content == null && !(rule.contentOptional?.(message) ?? false)) {
        ctx.addIssue({ code: 'custom', path: ['content'], message: 'content is required (a string or an array of content parts)' });
      }
    })
    .transform((message): ChatMessage => ({ role: roles[message.role]!.as, content: textOf(message.content) }));
}

/** The `keel` body field: its keys only; the values are checked by Keel's request schema. */
const callSchema = z.strictObject(
  { feature: z.unknown().optional(), user: z.unknown().optional(), tenant: z.unknown().optional(), deadlineMs: z.unknown().optional(), cache: z.unknown().optional() },
  // Only the type error is reworded; a misspelt key keeps zod's `Unrecognized key` message.
  { error: (issue) => (issue.code === 'invalid_type' ? '`keel` must be an object' : undefined) },
);

/** The zod schema of a drop-in body (exported for the fast-path property test). */
export function bodySchema(shape: DropInShape) {
  return z
    .looseObject(
      {
        model: z.string({ error: 'a model is required' }).min(1, 'a model is required'),
        messages: z.array(messageSchema(shape.roles), { error: 'expected an array of messages' }).min(1, 'at least one message is required'),
        ...(shape.topLevelSystem ? { system: contentSchema.optional() } : {}),
        keel: callSchema.optional(),
      },
      { error: 'the request body must be an object' },
    )
    .transform(
      (body): DropInBody => ({
        model: body.model,
        messages: 'system' in body && body.system !== undefined ? [{ role: 'system', content: textOf(body.system as Content) }, ...body.messages] : body.messages,
        call: body.keel as KeelCallOptions | undefined,
      }),
    );
}

/**
 * The body parser of one SDK's drop-in, built once per adapter. It checks a body against the
 * SDK's shape and returns what Keel takes from it. Bad input (no messages, a `null` message,
 * `content: 42`, a user message without content…) is a `bad_request` KeelError whose issues name
 * body paths (`messages.1.content`) and never values, thrown before anything is sent. The
 * request built from the result is validated again by `keel.chat`'s own schema, so the drop-ins
 * and `keel.chat` accept the same calls.
 */
export function dropInBodyParser(shape: DropInShape): (body: unknown) => DropInBody {
  const schema = bodySchema(shape);
  return (body) => {
    // The everyday body (string contents, no `keel` field quirks) is read by hand; zod judges the rest.
    const plain = plainBody(shape, body);
    if (plain) return plain;
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    const issues = formatIssues(parsed.error);
    throw new KeelError('bad_request', `Invalid request: ${issues.join('; ')}`, { issues });
  };
}

/**
 * What `bodySchema` returns for a body it accepts, read without zod, for the common shape only:
 * a plain object, a non-empty `model`, messages that are plain objects with a known role and a
 * string `content`, a string (or no) top-level `system`, and a `keel` field that is absent or a
 * plain object of the four known keys. Anything else is `undefined`: the schema decides. The
 * property test in test/drop-in-fast.test.ts holds the two to the same answers.
 */
export function plainBody(shape: DropInShape, body: unknown): DropInBody | undefined {
  if (!isPlainObject(body)) return undefined;
  const { model, messages, keel } = body;
  if (typeof model !== 'string' || model.length === 0) return undefined;
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  if (keel !== undefined) {
    if (!isPlainObject(keel)) return undefined;
    for (const key in keel) if (key !== 'feature' && key !== 'user' && key !== 'tenant' && key !== 'deadlineMs' && key !== 'cache') return undefined;
  }
  // As the schema's transform: a `system` field is read whatever the shape (loose objects keep it).
  const system = body['system'];
  if (system !== undefined && typeof system !== 'string') return undefined;
  const out: ChatMessage[] = system === undefined ? [] : [{ role: 'system', content: system }];
  for (const message of messages as unknown[]) {
    if (!isPlainObject(message)) return undefined;
    const { role, content } = message;
    if (typeof role !== 'string' || !Object.hasOwn(shape.roles, role) || typeof content !== 'string') return undefined;
    out.push({ role: shape.roles[role]!.as, content });
  }
  // A copy, as the schema makes: the call options are read later, and an object literal either way.
  return { model, messages: out, call: keel === undefined ? undefined : { ...keel } };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
