import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { apiCaller, printJson, serverUrl, table, type ApiCall } from './api-call.js';
import type { CliIo } from './cli.js';

export const SCHEDULES_USAGE = `  schedules list                          every schedule: name, timing, next fire, paused
  schedules get <id|name>                 one schedule with its next 5 fire times
  schedules create --file <f.yaml|json>   create from a file in POST /api/v1/schedules's shape
  schedules update <id|name> --file <f>   change the fields in the file (PATCH)
  schedules pause|unpause <id|name> [--note <text>]
  schedules trigger <id|name>             fire now
  schedules skip-next <id|name> [--note <text>]   cancel the next fire only
  schedules backfill <id|name> --from <time> --to <time>   the fires in between (ISO 8601)
  schedules history <id|name> [--limit <n>]       past fires, the run each started and its outcome
  schedules delete <id|name>`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `baton schedules …` (issue 15), through the running server's API like the operator's commands. */
export async function runScheduleCommand(argv: string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  let values: { file?: string; note?: string; from?: string; to?: string; limit?: string };
  let target: string | undefined;
  try {
    const parsed = parseArgs({
      args: rest,
      options: { file: { type: 'string' }, note: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, limit: { type: 'string' } },
      allowPositionals: true,
    });
    values = parsed.values;
    target = parsed.positionals[0];
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${SCHEDULES_USAGE}`);
    return 2;
  }
  const needsTarget = command !== 'list' && command !== 'create';
  const known = ['list', 'get', 'create', 'update', 'pause', 'unpause', 'trigger', 'skip-next', 'backfill', 'history', 'delete'];
  if (!command || !known.includes(command) || (needsTarget && !target) || ((command === 'create' || command === 'update') && !values.file)) {
    io.err(SCHEDULES_USAGE);
    return 2;
  }
  const call = apiCaller(serverUrl(env), env.BATON_TOKEN);
  try {
    if (command === 'list') return await list(call, io);
    if (command === 'create') {
      printJson(io, await call('POST', '/api/v1/schedules', readBody(values.file!)));
      return 0;
    }
    const path = `/api/v1/schedules/${await resolveId(call, target!)}`;
    const note = values.note === undefined ? {} : { note: values.note };
    if (command === 'get') printJson(io, await call('GET', path));
    else if (command === 'update') printJson(io, await call('PATCH', path, readBody(values.file!)));
    else if (command === 'pause' || command === 'unpause' || command === 'skip-next') printJson(io, await call('POST', `${path}/${command}`, note));
    else if (command === 'trigger') printJson(io, await call('POST', `${path}/trigger`));
    else if (command === 'backfill') printJson(io, await call('POST', `${path}/backfill`, { from: values.from, to: values.to }));
    else if (command === 'history') history(io, await call('GET', `${path}/history${values.limit ? `?limit=${encodeURIComponent(values.limit)}` : ''}`));
    else {
      await call('DELETE', path);
      io.err(`deleted schedule ${target}`);
    }
    return 0;
  } catch (error) {
    io.err(`error: ${(error as Error).message}`);
    return 1;
  }
}

async function list(call: ApiCall, io: CliIo): Promise<number> {
  const { schedules } = (await call('GET', '/api/v1/schedules')) as { schedules: Array<Record<string, unknown>> };
  const timing = (s: Record<string, unknown>) => (s.cron ? `cron ${s.cron}` : s.interval ? `every ${s.interval}s` : `at ${s.at}`);
  const rows = schedules.map((s) => [String(s.id), String(s.name), timing(s), String(s.timezone), String(s.next_fire_at ?? '-'), s.paused ? 'paused' : 'active']);
  for (const line of table(['ID', 'NAME', 'WHEN', 'ZONE', 'NEXT FIRE', 'STATE'], rows)) io.out(line);
  return 0;
}

function history(io: CliIo, body: Record<string, unknown>): void {
  const fires = body.fires as Array<Record<string, unknown>>;
  const rows = fires.map((f) => [String(f.fire_time), String(f.kind), String(f.status), String(f.run_id ?? '-'), String(f.run_status ?? '-'), String(f.reason ?? '')]);
  for (const line of table(['FIRE TIME', 'KIND', 'STATUS', 'RUN', 'RUN STATUS', 'REASON'], rows)) io.out(line);
}

/** A schedule id as given, or the id of the schedule with that name. */
async function resolveId(call: ApiCall, target: string): Promise<string> {
  if (UUID.test(target)) return target;
  const { schedules } = (await call('GET', '/api/v1/schedules')) as { schedules: Array<{ id: string; name: string }> };
  const found = schedules.find((s) => s.name === target);
  if (!found) throw new Error(`no schedule named ${target}`);
  return found.id;
}

/** A JSON or YAML file's content (`-` reads stdin). */
export function readBody(file: string): unknown {
  const text = readFileSync(file === '-' ? 0 : file, 'utf8');
  try {
    return parseYaml(text); // YAML is a superset of JSON
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
}
