import { parseArgs } from 'node:util';
import { signedHeartbeatUrl } from '@baton/ops';
import type { CliIo } from './cli.js';

export const SYSTEM_COMMANDS = new Set(['status', 'mode', 'heartbeat', 'drain', 'doctor']);

export const SYSTEM_USAGE = `  status                                  the hub's mode, heartbeat and latest system events
  mode <normal|safe|degraded|draining> --reason <text>   set the mode for every instance
  heartbeat                               the operator's heartbeat (dead-man switch)
  heartbeat --url [--by <name>]           print a signed heartbeat webhook URL (needs BATON_HEARTBEAT_SECRET)
  drain --reason <text> [--timeout <s>]   stop admission and dispatch, wait for in-flight work, stop
  doctor [--fix]                          find stuck work (and repair it with --fix)

These talk to the running server: BATON_URL (default http://127.0.0.1:$PORT) with BATON_TOKEN.`;

/**
 * The operator's commands (issue 16). Unlike `token`, they go through the HTTP API of the
 * running server, so they work against any instance and obey the access policy.
 */
export async function runSystemCommand(argv: string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  let values: { reason?: string; timeout?: string; fix?: boolean; url?: boolean; by?: string };
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args: rest,
      options: { reason: { type: 'string' }, timeout: { type: 'string' }, fix: { type: 'boolean' }, url: { type: 'boolean' }, by: { type: 'string' } },
      allowPositionals: true,
    });
    values = parsed.values;
    positionals = parsed.positionals;
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${SYSTEM_USAGE}`);
    return 2;
  }
  const base = (env.BATON_URL || `http://127.0.0.1:${env.PORT || '3000'}`).replace(/\/$/, '');
  const call = async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (env.BATON_TOKEN) headers.authorization = `Bearer ${env.BATON_TOKEN}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const parsed = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${response.status}: ${String(parsed.message ?? response.statusText)}`);
    return parsed;
  };
  try {
    if (command === 'status') io.out(JSON.stringify(await call('GET', '/api/v1/system'), null, 2));
    else if (command === 'mode') io.out(JSON.stringify(await call('POST', '/api/v1/system/mode', { mode: positionals[0], reason: values.reason }), null, 2));
    else if (command === 'heartbeat' && values.url) return heartbeatUrl(base, env, values.by ?? 'webhook', io);
    else if (command === 'heartbeat') {
      const answer = await call('POST', '/api/v1/system/heartbeat');
      io.out(`heartbeat recorded; mode ${String(answer.mode)}`);
    } else if (command === 'drain') return await drain(call, base, values, io);
    else {
      const answer = values.fix ? await call('POST', '/api/v1/doctor/fix') : await call('GET', '/api/v1/doctor');
      io.out(JSON.stringify(answer, null, 2));
    }
    return 0;
  } catch (error) {
    io.err(`error: ${(error as Error).message}`);
    return 1;
  }
}

/** Prints the URL a cron job or an uptime checker POSTs to beat the heartbeat without a token. */
function heartbeatUrl(base: string, env: Record<string, string | undefined>, by: string, io: CliIo): number {
  const secret = env.BATON_HEARTBEAT_SECRET;
  if (!secret) {
    io.err('error: set BATON_HEARTBEAT_SECRET (the same as the server\'s) to make a signed heartbeat URL');
    return 1;
  }
  if (!/^[\w.@-]{1,100}$/.test(by)) {
    io.err('error: --by must be 1 to 100 letters, digits or ._@-');
    return 2;
  }
  io.out(signedHeartbeatUrl(base, secret, by));
  io.err(`POST to it (e.g. \`curl -fsS -X POST '<url>'\` from cron) to beat the heartbeat as signed-url:${by}`);
  return 0;
}

type Call = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

/** Asks for the drain, then waits until the server stops answering. */
async function drain(call: Call, base: string, values: { reason?: string; timeout?: string }, io: CliIo): Promise<number> {
  const timeoutMs = Number(values.timeout ?? 600) * 1000;
  await call('POST', '/api/v1/system/drain', { reason: values.reason ?? 'baton drain' });
  io.err(`draining ${base}: no new runs or dispatch; waiting for in-flight steps, then the server stops`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await fetch(`${base}/health`);
    } catch {
      io.out('drained: the server has stopped. `npm start` resumes everything.');
      return 0;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  io.err(`the server still answers after ${timeoutMs / 1000} s (check \`baton status\`)`);
  return 1;
}
