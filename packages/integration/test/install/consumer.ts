/**
 * The program a scratch consumer project runs, as source text for either module system: one
 * failing call (a 401, which must be classified `auth` and not retried), one chat through
 * `createKeel`, and one drop-in call through `wrapOpenAI` — against the testkit's loopback
 * server from the installed `@keel/testkit` tarball. It prints one JSON line.
 */
export function consumerProgram(system: 'esm' | 'cjs'): string {
  const imports =
    system === 'esm'
      ? `import OpenAI from 'openai';
import { createKeel, KeelError } from '@keel/core';
import { createOpenAIProvider, wrapOpenAI } from '@keel/openai';
import { createTestServer } from '@keel/testkit';`
      : `const OpenAI = require('openai');
const { createKeel, KeelError } = require('@keel/core');
const { createOpenAIProvider, wrapOpenAI } = require('@keel/openai');
const { createTestServer } = require('@keel/testkit');`;
  return `${imports}

async function main() {
  const server = await createTestServer({ script: [{ type: 'status', status: 401 }] });
  const client = new OpenAI({ apiKey: 'scratch-consumer-key', baseURL: server.url + '/v1' });
  const features = { support: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }] } };
  const keel = createKeel({ providers: [createOpenAIProvider({ client })], features });
  const messages = [{ role: 'user', content: 'Where is my order?' }];
  let failure;
  try {
    await keel.chat({ feature: 'support', messages });
  } catch (error) {
    failure = { isKeelError: KeelError.is(error), kind: error.kind, requests: server.hits };
  }
  const chat = await keel.chat({ feature: 'support', messages });
  const wrapped = wrapOpenAI(new OpenAI({ apiKey: 'scratch-consumer-key', baseURL: server.url + '/v1' }), { feature: 'support' });
  const completion = await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages });
  console.log(JSON.stringify({ failure, chat: chat.text, dropIn: completion.choices[0].message.content, object: completion.object }));
  keel.close();
  wrapped.keel.close();
  await server.close();
}
main().catch((error) => { console.error(error); process.exit(1); });
`;
}

/** A typed use of the public API, checked by tsc as an ESM (.mts) or CommonJS (.cts) consumer. */
export function typedConsumer(system: 'esm' | 'cjs'): string {
  // The same source: in a .cts file tsc compiles these imports to require() calls.
  return `// ${system === 'esm' ? 'ESM' : 'CommonJS'} consumer
import { createKeel, type ChatResult, type KeelErrorKind } from '@keel/core';
import { createOpenAIProvider } from '@keel/openai';
import { OpenAI } from 'openai';

const keel = createKeel({
  providers: [createOpenAIProvider({ client: new OpenAI({ apiKey: 'k' }) })],
  features: { support: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }] } },
});
export const kind: KeelErrorKind = 'auth';
export const pending: Promise<ChatResult> = keel.chat({ feature: 'support', messages: [{ role: 'user', content: 'hi' }] });
`;
}
