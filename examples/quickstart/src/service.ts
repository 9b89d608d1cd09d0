import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeelError, type Keel } from '@keel/core';
import { httpStatusOf } from './http-status.js';

/**
 * A tiny backend service. Its handlers call a model through Keel, exactly as a real service
 * would: the only Keel-specific code is `keel.chat` / `keel.stream` and mapping KeelError to
 * an HTTP status.
 */
export async function startService(keel: Keel): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const question = url.searchParams.get('q') ?? 'Say hello.';
      const feature = url.searchParams.get('feature') ?? 'support';
      try {
        if (url.pathname === '/answer') {
          const result = await keel.chat({ feature, messages: [{ role: 'user', content: question }] });
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ answer: result.text, model: result.model, attempts: result.attempts }));
        } else if (url.pathname === '/answer/stream') {
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
          try {
            for await (const event of keel.stream({ feature, messages: [{ role: 'user', content: question }] })) {
              if (event.type === 'text') res.write(event.text);
              if (event.type === 'finish') res.write(`\n[done after ${event.result.attempts.length} attempt(s)]`);
            }
          } catch (error) {
            // Headers are gone: say so in-band rather than pretending the answer was complete.
            res.write(`\n[stream failed: ${KeelError.is(error) ? error.kind : 'error'}]`);
          }
          res.end();
        } else {
          res.writeHead(404).end();
        }
      } catch (error) {
        const status = httpStatusOf(error);
        const body = KeelError.is(error) ? error.toJSON() : { message: 'internal error' };
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
