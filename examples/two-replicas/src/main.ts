/**
 * Two replicas of one service share one token budget through Redis. Without Redis each
 * replica would count alone and together spend twice the budget; with @keel/redis they never
 * spend more than it, counted from what the (loopback) model server actually served.
 *
 * Runs with no API key: the model is the testkit's loopback OpenAI server. Needs `redis-server`
 * on PATH (or REDIS_URL pointing at a Redis to use). Exits 1 if the claim does not hold.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { hasRedisServer, startRedisServer, type RedisServerHandle } from '@keel/redis/testing';
import { createTestServer } from '@keel/testkit';

const BUDGET_TOKENS = 3_000;
const WAVE = 40;

let redis: RedisServerHandle | undefined;
let redisUrl = process.env.REDIS_URL;
if (!redisUrl) {
  if (!hasRedisServer()) {
    console.error('two-replicas: redis-server was not found on PATH. Install it (Debian/Ubuntu: apt-get install redis-server)');
    console.error('or set REDIS_URL=redis://host:port to use a running Redis. Nothing was checked.');
    process.exit(2);
  }
  redis = await startRedisServer();
  redisUrl = redis.url;
}

const model = await createTestServer();
const replicaScript = fileURLToPath(new URL('./replica.ts', import.meta.url));
const children: ChildProcess[] = [];

function startReplica(): Promise<number> {
  const child = spawn(process.execPath, ['--conditions=keel-source', '--import', 'tsx', replicaScript], {
    env: { ...process.env, REDIS_URL: redisUrl, MODEL_URL: `${model.url}/v1`, BUDGET_TOKENS: String(BUDGET_TOKENS), BUDGET_PREFIX: `two-replicas-${process.pid}` },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /^listening (\d+)$/.exec(line);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`replica exited with ${code} before listening`)));
  });
}

let failed = false;
try {
  const ports = await Promise.all([startReplica(), startReplica()]);
  console.log(`two replicas on ports ${ports.join(' and ')}, one budget of ${BUDGET_TOKENS} tokens/day in Redis`);

  // Waves of concurrent requests, alternating between the replicas like a load balancer, until
  // a whole wave is refused. Refusals within a wave come from the holds of calls in flight
  // (input upper bound + maxTokens, reserved before sending); each hold shrinks to the real usage
  // when its call settles, so the next wave uses what the last one left.
  const statuses: { replica: number; status: number; error?: string | undefined }[] = [];
  for (let wave = 0; wave < 50; wave++) {
    const results = await Promise.all(
      Array.from({ length: WAVE }, async (_, i) => {
        const response = await fetch(`http://127.0.0.1:${ports[i % 2]}/ask`, { method: 'POST', body: JSON.stringify({ question: `Question ${wave}.${i}: what do foxes eat?` }) });
        const { error } = (await response.json()) as { error?: string };
        return { replica: i % 2, status: response.status, error };
      }),
    );
    statuses.push(...results);
    if (results.every((r) => r.status !== 200)) break;
  }
  const answered = [0, 1].map((r) => statuses.filter((s) => s.replica === r && s.status === 200).length);
  const refused = statuses.filter((s) => s.status === 402).length;
  const other = statuses.filter((s) => s.status !== 200 && s.status !== 402).length;
  const served = model.requests.reduce((sum, r) => sum + r.served.inputTokens + r.served.outputTokens, 0);

  const otherKinds = statuses.filter((s) => s.status !== 200 && s.status !== 402).map((s) => s.error);
  console.log(`answered: replica A ${answered[0]}, replica B ${answered[1]}; refused by the budget: ${refused}; other errors: ${other}${other ? ` (${otherKinds.join(', ')})` : ''}`);
  console.log(`the model server served ${served} tokens in ${model.requests.length} requests (budget ${BUDGET_TOKENS})`);

  const claims: [string, boolean][] = [
    ['the two replicas together never spent more than the one budget', served <= BUDGET_TOKENS],
    ['and spent it: the last wave was refused with less than a tenth of the budget left', served >= 0.9 * BUDGET_TOKENS],
    ['both replicas answered calls from the shared budget', answered[0]! > 0 && answered[1]! > 0],
    ['the budget ran out and the rest was refused (402), nothing else failed', refused > 0 && other === 0],
    ['every answered call is one request the model server saw', answered[0]! + answered[1]! === model.requests.length],
  ];
  for (const [claim, holds] of claims) {
    console.log(`${holds ? '✓' : '✗'} ${claim}`);
    if (!holds) failed = true;
  }
} finally {
  for (const child of children) child.kill('SIGTERM');
  await model.close();
  await redis?.stop();
}
if (failed) {
  console.error('two-replicas: a claim did not hold');
  process.exit(1);
}
