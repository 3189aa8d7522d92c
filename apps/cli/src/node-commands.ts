import { parseArgs } from 'node:util';
import { apiCaller, printJson, serverUrl, table, type ApiCall } from './api-call.js';
import type { CliIo } from './cli.js';
import { readBody } from './schedule-commands.js';

export const NODES_USAGE = `  nodes list                              worker nodes: status (active, draining, offline), heartbeat, config ack, jobs
  nodes get <id|name>                     one node
  nodes config <id|name> --file <f>       replace its configuration ({ ... } as JSON or YAML); the version goes up
  nodes drain <id|name>                   no new jobs for it; it finishes those it holds
  nodes remove <id|name>                  its token stops working; its jobs go to other nodes`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `baton nodes …` (issue 15), through the running server's API. */
export async function runNodeCommand(argv: string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  let file: string | undefined;
  let target: string | undefined;
  try {
    const parsed = parseArgs({ args: rest, options: { file: { type: 'string' } }, allowPositionals: true });
    file = parsed.values.file;
    target = parsed.positionals[0];
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${NODES_USAGE}`);
    return 2;
  }
  if (!command || !['list', 'get', 'config', 'drain', 'remove'].includes(command) || (command !== 'list' && !target) || (command === 'config' && !file)) {
    io.err(NODES_USAGE);
    return 2;
  }
  const call = apiCaller(serverUrl(env), env.BATON_TOKEN);
  try {
    if (command === 'list') return await list(call, io);
    const path = `/api/v1/nodes/${await resolveId(call, target!)}`;
    if (command === 'get') printJson(io, await call('GET', path));
    else if (command === 'config') printJson(io, await call('PUT', `${path}/config`, { config: readBody(file!) }));
    else if (command === 'drain') printJson(io, await call('POST', `${path}/drain`));
    else {
      await call('DELETE', path);
      io.err(`removed node ${target}`);
    }
    return 0;
  } catch (error) {
    io.err(`error: ${(error as Error).message}`);
    return 1;
  }
}

async function list(call: ApiCall, io: CliIo): Promise<number> {
  const { nodes } = (await call('GET', '/api/v1/nodes')) as { nodes: Array<Record<string, any>> };
  const rows = nodes.map((n) => [
    n.id,
    n.name,
    n.status,
    n.lastHeartbeatAt,
    `${n.inFlight}/${n.maxJobs}`,
    `${n.configVersion}${n.configAck?.version === n.configVersion ? ` ${n.configAck.status}` : ` (acked ${n.configAck?.version ?? 'none'})`}`,
    (n.capabilities as string[]).join(','),
  ].map(String));
  for (const line of table(['ID', 'NAME', 'STATUS', 'LAST HEARTBEAT', 'JOBS', 'CONFIG', 'AGENTS'], rows)) io.out(line);
  return 0;
}

async function resolveId(call: ApiCall, target: string): Promise<string> {
  if (UUID.test(target)) return target;
  const { nodes } = (await call('GET', '/api/v1/nodes')) as { nodes: Array<{ id: string; name: string }> };
  const found = nodes.filter((n) => n.name === target);
  if (found.length !== 1) throw new Error(found.length === 0 ? `no node named ${target}` : `${found.length} nodes are named ${target}: give the id`);
  return found[0]!.id;
}
