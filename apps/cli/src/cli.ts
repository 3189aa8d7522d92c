import { parseArgs } from 'node:util';
import { BatonConfig } from '@baton/common';
import { DataFolderLockedError, migrate, openDatabase, type Database } from '@baton/db';
import { createTokenService, ROLES, type ApiToken } from '@baton/identity';
import { curlFor, HttpTokenClient, shellQuote, type TokenCommands } from './token-client.js';
import { SYSTEM_COMMANDS, SYSTEM_USAGE, runSystemCommand } from './system-commands.js';
import { SCHEDULES_USAGE, runScheduleCommand } from './schedule-commands.js';
import { NODES_USAGE, runNodeCommand } from './node-commands.js';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const USAGE = `usage: baton <command>

  token create --name <name> --role <${ROLES.join('|')}>   create a token; prints it once
  token list                                           list tokens (never their secrets)
  token revoke <name>                                  revoke the live token with that name

  --url <url>     send the command through a running server's API instead of opening the
                  database (needed while a server holds the embedded database); the token
                  for it comes from BATON_TOKEN or --token <token>

${SYSTEM_USAGE}

${SCHEDULES_USAGE}

${NODES_USAGE}

Token commands use the server's configuration: DATABASE_URL, else embedded PGlite in BATON_DATA_DIR.
One process at a time may open a PGlite data folder: while a server runs on it, use --url.`;

/**
 * The `baton` command line. Returns the exit code; never calls process.exit, so tests run it
 * in-process with their own environment.
 */
export async function runCli(argv: string[], env: Record<string, string | undefined> = process.env, io: CliIo = consoleIo): Promise<number> {
  const [group, command, ...rest] = argv;
  // Issue 16: operator commands go through the running server's API.
  if (group && SYSTEM_COMMANDS.has(group)) return runSystemCommand(argv, env, io);
  // Issue 15: schedules and worker nodes, also through the API.
  if (group === 'schedules') return runScheduleCommand(argv.slice(1), env, io);
  if (group === 'nodes') return runNodeCommand(argv.slice(1), env, io);
  if (group !== 'token' || !command || !['create', 'list', 'revoke'].includes(command)) {
    io.err(USAGE);
    return group === undefined || group === 'help' || group === '--help' ? 0 : 2;
  }
  let options: { name?: string; role?: string; url?: string; token?: string; positional: string[] };
  try {
    const parsed = parseArgs({
      args: rest,
      options: { name: { type: 'string' }, role: { type: 'string' }, url: { type: 'string' }, token: { type: 'string' } },
      allowPositionals: true,
    });
    options = { ...parsed.values, positional: parsed.positionals };
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const name = command === 'revoke' ? (options.positional[0] ?? options.name) : options.name;
  if (command === 'revoke' && !name) {
    io.err(`token revoke needs a name\n\n${USAGE}`);
    return 2;
  }
  if (options.url) {
    return runTokenCommand(new HttpTokenClient(options.url, options.token ?? env.BATON_TOKEN), command, { ...options, name }, io);
  }
  const config = new BatonConfig(env);
  let db: Database;
  try {
    db = await openDatabase(config, 'cli');
  } catch (error) {
    if (!(error instanceof DataFolderLockedError)) throw error;
    io.err(`error: ${error.message}`);
    if (error.holder.owner === 'server') {
      // The server's own address, as this environment describes it (the CLI shares the server's settings).
      const host = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host;
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
      io.err(`\nThe server has it open. Do the same through its API (BATON_TOKEN: an admin token, when auth is on):\n`);
      io.err(`  ${curlFor(url, command, { name, role: options.role })}\n`);
      io.err(`or let the CLI send it: npm run baton -- ${argv.map(shellQuote).join(' ')} --url ${url}`);
    }
    return 3;
  }
  try {
    await migrate(db);
    return await runTokenCommand(createTokenService(db), command, { ...options, name }, io);
  } catch (error) {
    io.err(`error: ${(error as Error).message}`);
    return 1;
  } finally {
    await db.close();
  }
}

async function runTokenCommand(tokens: TokenCommands, command: string, options: { name?: string; role?: string }, io: CliIo): Promise<number> {
  try {
    if (command === 'create') {
      const { token, apiToken } = await tokens.create({ name: options.name, role: options.role });
      io.err(`created token ${apiToken.name} (${apiToken.role}); it is shown once, store it now:`);
      io.out(token);
    } else if (command === 'list') {
      for (const line of formatTokens(await tokens.list())) io.out(line);
    } else {
      const revoked = await tokens.revoke(options.name!);
      io.err(`revoked token ${revoked.name} (${revoked.role})`);
    }
    return 0;
  } catch (error) {
    // Validation messages already name each bad field (`role: must be one of ...`).
    io.err(`error: ${(error as Error).message}`);
    return 1;
  }
}

/** A fixed-width table: name, role, status, created, last used. */
export function formatTokens(tokens: ApiToken[]): string[] {
  const rows = tokens.map((t) => [
    t.name,
    t.role,
    t.revokedAt ? `revoked ${t.revokedAt.toISOString()}` : 'active',
    t.createdAt.toISOString(),
    t.lastUsedAt?.toISOString() ?? 'never',
  ]);
  const header = ['NAME', 'ROLE', 'STATUS', 'CREATED', 'LAST USED'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}

const consoleIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};
