/**
 * Structured extraction through a model cascade: invoices read by a cheap model first, escalated
 * to a strong one only when the answer fails the gate, and only while the budget allows it.
 * Runs against the testkit's loopback OpenAI server with scripted replies: no key, no network.
 * Every step states a claim and checks it; a claim that does not hold exits 1.
 *
 *   pnpm --filter @keel/example-cascade-extraction start
 */
import OpenAI from 'openai';
import { z } from 'zod';
import { createKeel, KeelError, type CascadeStepReport } from '@keel/core';
import { createOpenAIProvider } from '@keel/openai';
import { createDemoClaims, createTestServer, sabotaged, type Fault, type RecordedRequest } from '@keel/testkit';

const { check: claim, exitOnBroken: exitOnBrokenClaims } = createDemoClaims();

const CHEAP = 'gpt-4o-mini';
const STRONG = 'gpt-4o';

// `notes` is optional, which OpenAI's strict mode cannot express: this schema runs in prompt
// mode (instruction + tolerant extraction). `strictInvoice` fits strict mode and runs natively.
const invoice = z.object({
  vendor: z.string(),
  currency: z.enum(['EUR', 'USD', 'GBP']),
  lines: z.array(z.object({ item: z.string(), amount: z.number() })),
  total: z.number(),
  notes: z.string().optional(),
});
const strictInvoice = invoice.omit({ notes: true });
type Invoice = z.infer<typeof invoice>;

const GOOD = '{"vendor": "ACME GmbH", "currency": "EUR", "lines": [{"item": "anvil", "amount": 100}, {"item": "rope", "amount": 20.5}], "total": 120.5}';
const source = [{ role: 'user' as const, content: 'Invoice: ACME GmbH, anvil 100 EUR, rope 20.50 EUR, total 120.50 EUR.' }];
/** The gate's user predicate: the lines must add up to the total. */
const addsUp = (value: Invoice) => Math.abs(value.lines.reduce((sum, line) => sum + line.amount, 0) - value.total) < 0.005;

const server = await createTestServer();
const keel = createKeel({
  providers: [createOpenAIProvider({ client: new OpenAI({ apiKey: 'sk-demo-not-a-real-key', baseURL: `${server.url}/v1` }) })],
  features: {
    // Cheap → strong, each step its own pipeline call with retries; the gate decides.
    extract: {
      models: [{ provider: 'openai', model: CHEAP }, { provider: 'openai', model: STRONG }],
      cascade: {},
      maxTokens: 300,
      retry: { maxAttempts: 1 },
    },
    // The same cascade under a per-request cap the strong model's reserve does not fit.
    'extract-frugal': {
      models: [{ provider: 'openai', model: CHEAP }, { provider: 'openai', model: STRONG }],
      cascade: {},
      maxTokens: 300,
      retry: { maxAttempts: 1 },
      budget: { perRequest: { maxUsd: 0.001 } },
    },
    // No cascade: one model, one repair, then a typed error.
    'extract-once': { models: [{ provider: 'openai', model: CHEAP }], maxTokens: 300, retry: { maxAttempts: 1 } },
  },
});

/** The cheap model answers with `cheap` in order (then well); the strong model always answers well. */
function script(cheap: readonly Fault[]): void {
  const queue = [...cheap];
  server.script((request: RecordedRequest) => {
    const model = (request.body as { model?: string } | undefined)?.model;
    return model === CHEAP ? (queue.shift() ?? { type: 'ok', text: GOOD }) : { type: 'ok', text: GOOD };
  });
}

const say = (line: string) => console.log(line);
const describeSteps = (steps: readonly CascadeStepReport[]) =>
  steps
    .map((s) => `    ${s.model}: ${s.outcome}${s.reason ? ` (${s.reason})` : ''}, ${s.calls} call(s), $${(s.costUsd ?? 0).toFixed(6)}`)
    .join('\n');
const requestsSince = (from: number) => server.requests.slice(from);
const modelsSince = (from: number) => requestsSince(from).map((r) => (r.body as { model?: string }).model);

async function step(id: string, title: string, cheap: readonly Fault[], run: (from: number) => Promise<void>) {
  say(`\n▶ ${title}`);
  script(sabotaged(id) ? [] : cheap);
  await run(server.hits);
}

await step('native', '1. A schema that fits OpenAI strict mode is sent natively (response_format: json_schema)', [], async (from) => {
  const result = await keel.object({ feature: 'extract', messages: source, schema: strictInvoice, schemaName: 'invoice' });
  const body = requestsSince(from)[0]?.body as { response_format?: { type?: string } } | undefined;
  say(`  mode ${result.mode}, answered by ${result.model}: ${result.value.vendor}, ${result.value.total} ${result.value.currency}`);
  claim('native', result.mode === 'native' && body?.response_format?.type === 'json_schema', 'the request carried response_format json_schema');
});

await step('tolerant', '2. Prompt mode reads a fenced, prose-wrapped answer with single quotes and trailing commas', [
  { type: 'ok', text: "Here is the invoice:\n```json\n{vendor: 'ACME GmbH', currency: 'EUR', lines: [{item: 'anvil', amount: 100}, {item: 'rope', amount: 20.5},], total: 120.5,}\n```\nAnything else?" },
], async (from) => {
  const result = await keel.object({ feature: 'extract', messages: source, schema: invoice });
  say(`  mode ${result.mode}, ${result.model}, ${modelsSince(from).length} call(s): total ${result.value.total}`);
  claim('tolerant', result.mode === 'prompt' && result.model === CHEAP && modelsSince(from).length === 1, 'the cheap model\'s messy answer was read in one call');
});

const badTotal: Fault = { type: 'ok', text: '{"vendor": "ACME GmbH", "currency": "EUR", "lines": [], "total": "one hundred twenty"}' };
await step('escalation', '3. Invalid twice (answer + one repair with the zod issues): escalated to the strong model', [badTotal, badTotal], async (from) => {
  const result = await keel.object({ feature: 'extract', messages: source, schema: invoice });
  say(`  answered by ${result.model}; steps:\n${describeSteps(result.steps)}`);
  const repair = requestsSince(from)[1]?.body as { messages?: { content?: string }[] } | undefined;
  claim('escalation', result.model === STRONG && result.steps[0]?.reason === 'schema' && result.steps[0]?.calls === 2, 'the cheap step was left for "schema" after its repair call');
  claim('escalation', JSON.stringify(repair?.messages ?? []).includes('total: Invalid input: expected number'), 'the repair call sent the zod issue back');
});

const wrongSum: Fault = { type: 'ok', text: '{"vendor": "ACME GmbH", "currency": "EUR", "lines": [{"item": "anvil", "amount": 100}], "total": 120.5}' };
await step('predicate', '4. Schema-valid but the lines do not add up: the user predicate escalates', [wrongSum], async () => {
  const result = await keel.object({ feature: 'extract', messages: source, schema: invoice, accept: addsUp });
  say(`  answered by ${result.model}; steps:\n${describeSteps(result.steps)}`);
  claim('predicate', result.model === STRONG && result.steps[0]?.reason === 'predicate', 'the cheap answer was left for "predicate"');
});

await step('budget', '5. The budget cannot afford the strong model: the cheap answer comes back, marked budgetLimited', [wrongSum], async (from) => {
  const result = await keel.object({ feature: 'extract-frugal', messages: source, schema: invoice, accept: addsUp });
  say(`  budgetLimited ${result.budgetLimited}, answered by ${result.model}; steps:\n${describeSteps(result.steps)}`);
  claim('budget', result.budgetLimited && result.model === CHEAP && !modelsSince(from).includes(STRONG), 'nothing was sent to the strong model and the answer is marked');
});

await step('hostile', '6. Hostile output ("__proto__" keys) without a cascade: a typed validation error, hashed, no repair, nothing polluted', [
  { type: 'ok', text: '{"vendor": "x", "__proto__": {"isAdmin": true}}' },
], async (from) => {
  const error = await keel.object({ feature: 'extract-once', messages: source, schema: invoice }).catch((e: unknown) => e);
  const kind = KeelError.is(error) ? error.kind : String(error);
  say(`  ${kind}: ${KeelError.is(error) ? error.issues?.join('; ') : ''} (output sha256 ${KeelError.is(error) ? error.output?.sha256.slice(0, 12) : '-'}…)`);
  claim('hostile', kind === 'validation' && ({} as Record<string, unknown>)['isAdmin'] === undefined, 'a validation error and no prototype pollution');
  claim('hostile', modelsSince(from).length === 1, 'no repair call was spent on hostile output');
});

keel.close();
await server.close();
exitOnBrokenClaims();
