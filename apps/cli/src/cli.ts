import { parseArgs } from 'node:util';
import { BatonConfig } from '@baton/common';
import { migrate, openDatabase } from '@baton/db';
import { createTokenService, ROLES, type ApiToken } from '@baton/identity';
import { SYSTEM_COMMANDS, SYSTEM_USAGE, runSystemCommand } from './system-commands.js';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const USAGE = `usage: baton <command>

  token create --name <name> --role <${ROLES.join('|')}>   create a token; prints it once
  token list                                           list tokens (never their secrets)
  token revoke <name>                                  revoke the live token with that name

${SYSTEM_USAGE}

Token commands use the server's configuration: DATABASE_URL, else embedded PGlite in BATON_DATA_DIR.
With PGlite, stop the server first: one process at a time may open the data folder.`;

/**
 * The `baton` command line. Returns the exit code; never calls process.exit, so tests run it
 * in-process with their own environment.
 */
export async function runCli(argv: string[], env: Record<string, string | undefined> = process.env, io: CliIo = consoleIo): Promise<number> {
  const [group, command, ...rest] = argv;
  // Issue 16: operator commands go through the running server's API.
  if (group && SYSTEM_COMMANDS.has(group)) return runSystemCommand(argv, env, io);
  if (group !== 'token' || !command || !['create', 'list', 'revoke'].includes(command)) {
    io.err(USAGE);
    return group === undefined || group === 'help' || group === '--help' ? 0 : 2;
  }
  let options: { name?: string; role?: string; positional: string[] };
  try {
    const parsed = parseArgs({ args: rest, options: { name: { type: 'string' }, role: { type: 'string' } }, allowPositionals: true });
    options = { ...parsed.values, positional: parsed.positionals };
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const db = await openDatabase(new BatonConfig(env));
  try {
    await migrate(db);
    const tokens = createTokenService(db);
    if (command === 'create') {
      const { token, apiToken } = await tokens.create({ name: options.name, role: options.role });
      io.err(`created token ${apiToken.name} (${apiToken.role}); it is shown once, store it now:`);
      io.out(token);
    } else if (command === 'list') {
      for (const line of formatTokens(await tokens.list())) io.out(line);
    } else {
      const name = options.positional[0] ?? options.name;
      if (!name) {
        io.err(`token revoke needs a name\n\n${USAGE}`);
        return 2;
      }
      const revoked = await tokens.revoke(name);
      io.err(`revoked token ${revoked.name} (${revoked.role})`);
    }
    return 0;
  } catch (error) {
    // Validation messages already name each bad field (`role: must be one of ...`).
    io.err(`error: ${(error as Error).message}`);
    return 1;
  } finally {
    await db.close();
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
