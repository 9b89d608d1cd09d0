import { KeelError } from '../errors/keel-error.js';
import type { ChatResult } from './result.js';
import type { KeelStream, StreamEvent } from './stream.js';

/** Wraps the stream generator with read-once semantics and the collecting helpers. */
export function createKeelStream(source: AsyncGenerator<StreamEvent, void, undefined>): KeelStream {
  let taken = false;
  const take = () => {
    if (taken) throw new KeelError('bad_request', 'A Keel stream can be read only once');
    taken = true;
    return source;
  };

  const result = async (): Promise<ChatResult> => {
    for await (const event of take()) {
      if (event.type === 'finish') return event.result;
    }
    // readCommitted always ends with `finish` or throws; reaching here means a broken invariant.
    throw new KeelError('truncated', 'Stream ended without a result');
  };

  return {
    [Symbol.asyncIterator]: () => take(),
    result,
    text: async () => (await result()).text,
    toReadableStream(): ReadableStream<string> {
      const iterator = take();
      return new ReadableStream<string>({
        async pull(controller) {
          try {
            for (;;) {
              const step = await iterator.next();
              if (step.done) return controller.close();
              if (step.value.type === 'text') return controller.enqueue(step.value.text);
            }
          } catch (error) {
            controller.error(error);
          }
        },
        async cancel() {
          await iterator.return(undefined);
        },
      });
    },
  };
}
