import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OrchestrationDefinitionService } from '@baton/definitions';
import type { Database } from '@baton/db';
import { startBaton } from '../lib/baton.js';
import { rows, type BenchContext, type ResultRow } from '../lib/context.js';
import { figure, median } from '../lib/stats.js';
import { layeredDag } from './planning.js';

/**
 * Issue 17, large definitions: `POST /api/v1/definitions` of seeded layered random DAGs (the
 * planning scenario's graphs) of 1,000 and 10,000 steps, JSON, to an in-process Baton over
 * loopback HTTP. Each POST is a new version (a fresh name), so every one is validated and
 * stored. The body text is made once per size; the client only sends it and reads the answer.
 *
 * Breakdown, taken from outside the production code (nothing in Baton is instrumented):
 * the HTTP server's `request` event and the response's `finish` bound the server's time; the
 * service's `register` is wrapped (the controller calls it once the body is parsed and the
 * guards passed) and the database is wrapped to time the definition's insert statement.
 * So: before handler = body read + JSON.parse + guards; register − insert = validation, hash
 * and checks; insert = storing (one round trip); after register = building and sending the
 * answer; client = the rest (fetch sending the body and reading the answer).
 *
 * CPU: the bench process's user + system time across the POST (client and server share the
 * process; Postgres's own work is not in it). On a shared machine it moves less than wall time.
 *
 * Peer: NetworkX (Python) building a DiGraph of the same steps and edges and running
 * `topological_sort`, timed inside one Python process (warm-up + reps) after loading the
 * edges from a temp JSON file; skipped with "not installed" when `import networkx` fails.
 */
export const DEFINITION_SIZES = [1_000, 10_000];

interface Phases {
  total: number;
  cpu: number;
  server: number;
  beforeHandler: number;
  validate: number;
  insert: number;
  afterHandler: number;
  answerBytes: number;
}

/** A Database whose definition inserts add their wall time to `spent.insert`. */
function timedInserts(db: Database, spent: { insert: number }): Database {
  return new Proxy(db, {
    get(target, property, receiver) {
      if (property === 'query') {
        return async (sql: string, params?: unknown[]) => {
          if (!/^\s*insert into orchestration_definitions\b/.test(sql)) return target.query(sql, params);
          const started = performance.now();
          try {
            return await target.query(sql, params);
          } finally {
            spent.insert += performance.now() - started;
          }
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export async function definitionsScenario(ctx: BenchContext): Promise<ResultRow[]> {
  const spent = { insert: 0 };
  const instance = await startBaton(timedInserts(ctx.database.db, spent), ctx.baton, 'bench-definitions');
  const marks = { request: 0, handler: 0, handlerDone: 0, finish: 0 };
  instance.app.getHttpServer().on('request', (_request: IncomingMessage, response: ServerResponse) => {
    marks.request = performance.now();
    response.once('finish', () => (marks.finish = performance.now()));
  });
  const service = instance.app.get(OrchestrationDefinitionService);
  const register = service.register.bind(service);
  service.register = async (...args: Parameters<typeof register>) => {
    marks.handler = performance.now();
    try {
      return await register(...args);
    } finally {
      marks.handlerDone = performance.now();
    }
  };

  const result: ResultRow[] = [];
  let serial = 0;
  try {
    for (const size of DEFINITION_SIZES) {
      const body = layeredDag(size);
      ctx.log(`definitions: POST ${size} steps (${(JSON.stringify(body).length / 1024).toFixed(0)} KiB)`);
      const post = async (): Promise<Phases> => {
        const text = JSON.stringify({ ...body, name: `dag-${size}-${serial++}` });
        spent.insert = 0;
        const cpuBefore = process.cpuUsage();
        const started = performance.now();
        const response = await fetch(`${instance.url}/api/v1/definitions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
        const answer = await response.text();
        const total = performance.now() - started;
        const cpuUsed = process.cpuUsage(cpuBefore);
        if (response.status !== 201) throw new Error(`POST ${size} steps: ${response.status} ${answer.slice(0, 300)}`);
        // `finish` may land after the client has the bytes; wait a tick for it.
        await new Promise((resolve) => setImmediate(resolve));
        return {
          total,
          cpu: (cpuUsed.user + cpuUsed.system) / 1000,
          server: marks.finish - marks.request,
          beforeHandler: marks.handler - marks.request,
          validate: marks.handlerDone - marks.handler - spent.insert,
          insert: spent.insert,
          afterHandler: marks.finish - marks.handlerDone,
          answerBytes: answer.length,
        };
      };
      await post(); // warm-up
      const samples: Phases[] = [];
      for (let rep = 0; rep < ctx.reps; rep++) samples.push(await post());
      const of = (key: keyof Phases, unit = 'ms') => figure(samples.map((s) => s[key]), unit);
      const figures = {
        'ms per POST': of('total'),
        'cpu ms per POST': of('cpu'),
        'server ms': of('server'),
        'body read+parse+guards ms': of('beforeHandler'),
        'validate+hash ms': of('validate'),
        'insert ms': of('insert'),
        'answer ms': of('afterHandler'),
        'answer KiB': figure(samples.map((s) => s.answerBytes / 1024), 'KiB'),
      };
      ctx.log(
        `  ${figures['ms per POST'].median.toFixed(1)} ms per POST, cpu ${figures['cpu ms per POST'].median.toFixed(1)} ms (server ${figures['server ms'].median.toFixed(1)}: ` +
          `before handler ${figures['body read+parse+guards ms'].median.toFixed(1)}, validate+hash ${figures['validate+hash ms'].median.toFixed(1)}, ` +
          `insert ${figures['insert ms'].median.toFixed(1)}, answer ${figures['answer ms'].median.toFixed(1)}; answer ${figures['answer KiB'].median.toFixed(0)} KiB)`,
      );
      result.push(...rows('definitions', `POST ${size} steps`, figures));
      const peer = networkxFigure(body, ctx.reps);
      if (peer === undefined) ctx.log('  NetworkX peer: not installed');
      else {
        ctx.log(`  NetworkX ${peer.version} DiGraph + topological_sort: ${median(peer.samples).toFixed(1)} ms (cpu ${median(peer.cpu).toFixed(1)} ms)`);
        result.push(...rows('definitions', `NetworkX ${size} steps`, { 'build+sort ms': figure(peer.samples, 'ms'), 'build+sort cpu ms': figure(peer.cpu, 'ms') }));
      }
    }
  } finally {
    await instance.close();
  }
  return result;
}

const NETWORKX_SCRIPT = `
import json, sys, time
import networkx as nx
with open(sys.argv[1]) as f:
    graph = json.load(f)
reps = int(sys.argv[2])
samples = []
cpu = []
for rep in range(reps + 1):
    started = time.perf_counter()
    cpu_started = time.process_time()
    g = nx.DiGraph()
    g.add_nodes_from(graph["nodes"])
    g.add_edges_from(graph["edges"])
    order = list(nx.topological_sort(g))
    ms = (time.perf_counter() - started) * 1000
    cpu_ms = (time.process_time() - cpu_started) * 1000
    assert len(order) == len(graph["nodes"])
    if rep > 0:
        samples.append(ms)
        cpu.append(cpu_ms)
print(json.dumps({"version": nx.__version__, "samples": samples, "cpu": cpu}))
`;

/** NetworkX's build + topological sort of the same graph, or undefined when it is not installed. */
function networkxFigure(body: Record<string, unknown>, reps: number): { version: string; samples: number[]; cpu: number[] } | undefined {
  const probe = spawnSync('python3', ['-c', 'import networkx'], { encoding: 'utf8' });
  if (probe.status !== 0) return undefined;
  const steps = body.steps as Array<{ id: string; depends_on?: string[] }>;
  const graph = {
    nodes: steps.map((s) => s.id),
    edges: steps.flatMap((s) => (s.depends_on ?? []).map((d) => [d, s.id])),
  };
  const dir = mkdtempSync(join(tmpdir(), 'baton-bench-nx-'));
  try {
    const file = join(dir, 'graph.json');
    writeFileSync(file, JSON.stringify(graph));
    const run = spawnSync('python3', ['-c', NETWORKX_SCRIPT, file, String(Math.max(reps, 1))], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`NetworkX peer failed: ${run.stderr.slice(0, 500)}`);
    return JSON.parse(run.stdout) as { version: string; samples: number[]; cpu: number[] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
