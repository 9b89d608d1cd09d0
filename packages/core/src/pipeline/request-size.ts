import type { ResolvedFeature } from '../config/schema.js';
import type { ValidatedRequest } from '../config/request.js';
import { KeelError } from '../errors/keel-error.js';

/**
 * The feature's request-size guard (`maxRequestBytes`), checked before anything is counted or
 * sent: a runaway prompt gets a `bad_request` at once instead of a tokenizer pass that blocks
 * the event loop and a request the provider will refuse anyway. UTF-8 is at most 3 bytes per
 * UTF-16 unit, so most requests are cleared by their string lengths alone; only one within 3× of
 * the limit pays for the exact byte count.
 */
export function checkRequestSize(feature: ResolvedFeature, request: ValidatedRequest): void {
  const limit = feature.maxRequestBytes;
  let units = 0;
  for (const message of request.messages) units += message.content.length;
  if (units * 3 <= limit) return;
  let bytes = 0;
  for (const message of request.messages) bytes += Buffer.byteLength(message.content, 'utf8');
  if (bytes <= limit) return;
  throw new KeelError('bad_request', `The request's messages are ${bytes} bytes; feature "${feature.name}" allows ${limit} (maxRequestBytes)`, {
    issues: [`messages: ${bytes} bytes of text, over the feature's maxRequestBytes of ${limit}`],
  });
}
