import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of redis-server that loses one reply: once armed with a marker, the
 * first command containing it is forwarded to Redis (which runs it), and the client's connection
 * is cut before the reply reaches it — the "executed, reply lost" case. ioredis then reconnects
 * and resends the unanswered command.
 */
export interface LossyProxy {
  readonly port: number;
  /** Lose the reply to the next command whose bytes contain `marker`. */
  loseReplyTo(marker: string): void;
  /** How many replies were lost so far. */
  lost(): number;
  close(): Promise<void>;
}

export async function startLossyProxy(targetPort: number): Promise<LossyProxy> {
  let marker: string | undefined;
  let lost = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let dropping = false;
    client.on('data', (chunk) => {
      if (marker !== undefined && chunk.includes(marker)) {
        marker = undefined;
        dropping = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (dropping) {
        // Redis ran the command; its reply dies with the connection.
        lost++;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    loseReplyTo: (m) => {
      marker = m;
    },
    lost: () => lost,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
