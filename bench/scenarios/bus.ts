import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { BatonConfig } from '@baton/common';
import type { Database } from '@baton/db';
import { createApp } from '@baton/api';
import { rows, scaled, type BenchContext, type ResultRow } from '../lib/context.js';
import { percentile, repeat, sleep } from '../lib/stats.js';

/**
 * Scenario: the hub as communication bus (issue 14). N messages sent by one agent to another
 * through `POST /api/v1/messages` (schema check, policy, nonce, logged and queued in one
 * transaction) and pushed to a loopback HTTP inbox (signed POST, acknowledged by its 2xx),
 * 16 senders at once. Side by side: the same payloads through a bare Postgres LISTEN/NOTIFY
 * loop (no schema, no log, no durability: a notification sent while nobody listens is lost).
 * Figures: sends accepted per second, messages delivered per second (first send to last
 * delivery), send-to-deliver latency p50/p99.
 */
const SENDERS = 16;
const ADMIN = 'bench-bus-admin-token-0123456789abcdef';

interface Inbox {
  url: string;
  arrivals: Map<string, number>;
  close(): Promise<void>;
}

async function startInbox(): Promise<Inbox> {
  const arrivals = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const item = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message: { payload: { k: string } } };
      if (!arrivals.has(item.message.payload.k)) arrivals.set(item.message.payload.k, Date.now());
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/inbox`, arrivals, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function call(url: string, method: string, token: string, body?: unknown): Promise<any> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${url}: ${response.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

async function until(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Runs `send(i)` for i in 0..n-1 with SENDERS at once; returns the send start times by key. */
async function fanOut(n: number, send: (key: string) => Promise<void>): Promise<{ sentAt: Map<string, number>; acceptedAt: number }> {
  const sentAt = new Map<string, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      while (next < n) {
        const key = `m${next++}`;
        sentAt.set(key, Date.now());
        await send(key);
      }
    }),
  );
  return { sentAt, acceptedAt: Date.now() };
}

function figures(n: number, sentAt: Map<string, number>, acceptedAt: number, arrivals: Map<string, number>): Record<string, number> {
  const first = Math.min(...sentAt.values());
  const last = Math.max(...arrivals.values());
  const latencies = [...sentAt].map(([key, at]) => arrivals.get(key)! - at);
  return {
    'accepted/s': n / ((acceptedAt - first) / 1000),
    'delivered/s': n / ((last - first) / 1000),
    'latency p50 ms': percentile(latencies, 50),
    'latency p99 ms': percentile(latencies, 99),
  };
}

async function measureHub(url: string, sender: string, inbox: Inbox, n: number): Promise<Record<string, number>> {
  inbox.arrivals.clear();
  const { sentAt, acceptedAt } = await fanOut(n, (k) =>
    call(`${url}/api/v1/messages`, 'POST', sender, { to: { agent: 'bench-inbox' }, kind: 'event', type: 'bench.note', payload: { k }, nonce: randomUUID() }),
  );
  await until('every message pushed to the inbox', () => inbox.arrivals.size >= n, 300_000);
  return figures(n, sentAt, acceptedAt, inbox.arrivals);
}

async function measureNotify(db: Database, listener: Database, n: number): Promise<Record<string, number>> {
  const arrivals = new Map<string, number>();
  const channel = `bench_bus_${process.pid}`;
  const unlisten = await listener.listen(channel, (payload) => {
    const { k } = JSON.parse(payload) as { k: string };
    if (!arrivals.has(k)) arrivals.set(k, Date.now());
  });
  try {
    const { sentAt, acceptedAt } = await fanOut(n, async (k) => {
      await db.query(`select pg_notify($1::text, $2::text)`, [channel, JSON.stringify({ k })]);
    });
    await until('every notification', () => arrivals.size >= n, 60_000);
    return figures(n, sentAt, acceptedAt, arrivals);
  } finally {
    await unlisten();
  }
}

const UNITS = { 'accepted/s': 'msg/s', 'delivered/s': 'msg/s', 'latency p50 ms': 'ms', 'latency p99 ms': 'ms' };

export async function busScenario(ctx: BenchContext): Promise<ResultRow[]> {
  const n = scaled(2000, ctx.scale, 50);
  const config = new BatonConfig({
    BATON_SEED_EXAMPLES: 'false',
    BATON_INSTANCE_ID: 'bench-bus',
    BATON_BOOTSTRAP_TOKEN: ADMIN,
    BATON_DB_POOL_SIZE: String(ctx.baton.poolSize),
    BATON_MESSAGE_REPLAY_WINDOW_SECONDS: '600',
  });
  const app = await createApp({ config, database: ctx.database.db, logger: process.env.BENCH_LOGS ? undefined : ['error'] });
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const inbox = await startInbox();
  try {
    const suffix = randomUUID().slice(0, 8);
    await call(`${url}/api/v1/message-types`, 'POST', ADMIN, { name: 'bench.note', schema: { type: 'object', required: ['k'], properties: { k: { type: 'string' } } } });
    const sender = (await call(`${url}/api/v1/tokens`, 'POST', ADMIN, { name: `bench-sender-${suffix}`, role: 'agent' })).token as string;
    const receiver = (await call(`${url}/api/v1/tokens`, 'POST', ADMIN, { name: 'bench-inbox', role: 'agent' })).token as string;
    await call(`${url}/api/v1/messages/inbox/endpoint`, 'PUT', receiver, { url: inbox.url });
    ctx.log(`bus: ${n} messages, ${SENDERS} senders, pushed to a loopback inbox`);
    const hub = await repeat(ctx.reps, UNITS, (rep) => measureHub(url, sender, inbox, rep < 0 ? Math.max(50, Math.round(n / 10)) : n));
    ctx.log(`  hub: ${hub['delivered/s']!.median.toFixed(0)} msg/s delivered, p99 ${hub['latency p99 ms']!.median.toFixed(0)} ms`);
    const result = rows('bus', `hub: ${n} msgs sent, logged, pushed`, hub);
    if (ctx.database.kind === 'postgres') {
      const listener = ctx.database.connect(2);
      try {
        const notify = await repeat(ctx.reps, UNITS, (rep) => measureNotify(ctx.database.observer, listener, rep < 0 ? Math.max(50, Math.round(n / 10)) : n));
        ctx.log(`  LISTEN/NOTIFY: ${notify['delivered/s']!.median.toFixed(0)} msg/s, p99 ${notify['latency p99 ms']!.median.toFixed(0)} ms`);
        result.push(...rows('bus', `plain LISTEN/NOTIFY: ${n} msgs`, notify));
      } finally {
        await listener.close();
      }
    } else {
      ctx.log('bus: LISTEN/NOTIFY comparison skipped (needs Postgres)');
    }
    return result;
  } finally {
    await inbox.close();
    await app.close();
    // Tokens turn authentication on for the whole hub: the scenarios after this one (chaos)
    // call the API without one, as they do when run alone.
    await ctx.database.db.query('delete from api_tokens');
  }
}
