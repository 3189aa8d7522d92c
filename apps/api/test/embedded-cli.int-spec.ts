import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer, REPO_ROOT, SERVER_ENTRY, spawnServer, type ChildServer } from './support/child-server.js';

/**
 * The embedded database has one owner: a real server process on a PGlite folder, and the
 * real `baton` CLI (compiled, as its own process) pointed at the same folder.
 */
const CLI_ENTRY = join(REPO_ROOT, 'dist-test', 'apps', 'cli', 'src', 'main.js');

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a compiled entry point to its exit. */
function run(entry: string, env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: '', ...env };
  delete childEnv.NODE_OPTIONS;
  const child = spawn(process.execPath, [entry, ...args], { cwd: REPO_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

const cli = (env: Record<string, string>, ...args: string[]) => run(CLI_ENTRY, env, ...args);

describe('the CLI and a server on one embedded database', () => {
  let dataDir: string;
  let server: ChildServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    buildServer();
    dataDir = mkdtempSync(join(tmpdir(), 'baton-embedded-cli-'));
    env = { BATON_DATA_DIR: dataDir, DATABASE_URL: '' };
    server = await spawnServer(env);
    env.PORT = new URL(server.url).port; // the CLI shares the server's settings
  }, 180_000); // a build, then a server creating its embedded database: slow on a loaded machine

  afterAll(async () => {
    await server?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses to open the folder a live server holds, and prints the curl and --url to use instead', async () => {
    const refused = await cli(env, 'token', 'create', '--name', 'ci', '--role', 'operator');
    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(join(dataDir, 'pgdata'));
    expect(refused.stderr).toContain(`a Baton server (pid ${server.process.pid}`);
    expect(refused.stderr).toContain(
      `curl -X POST ${server.url}/api/v1/tokens -H "authorization: Bearer $BATON_TOKEN" -H 'content-type: application/json' -d '{"name":"ci","role":"operator"}'`,
    );
    expect(refused.stderr).toContain(`npm run baton -- token create --name ci --role operator --url ${server.url}`);
    // Nothing was written behind the server's back: it still has no token, so auth is off.
    expect((await fetch(`${server.url}/api/v1/runs`)).status).toBe(200);
  });

  it('sends the command through the running server with --url, and the server sees it at once', async () => {
    const created = await cli(env, 'token', 'create', '--name', 'ci', '--role', 'admin', '--url', server.url);
    expect(created).toMatchObject({ code: 0 });
    const token = created.stdout.trim();
    expect(token).toMatch(/^baton_[A-Za-z0-9_-]{43}$/);
    expect((await fetch(`${server.url}/api/v1/runs`)).status).toBe(401); // auth is on now

    const withoutToken = await cli(env, 'token', 'list', '--url', server.url);
    expect(withoutToken.code).toBe(1);
    expect(withoutToken.stderr).toMatch(/401 missing bearer token/);
    const listed = await cli({ ...env, BATON_TOKEN: token }, 'token', 'list', '--url', server.url);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/ci\s+admin\s+active/);
    const bad = await cli({ ...env, BATON_TOKEN: token }, 'token', 'create', '--name', 'x', '--role', 'root', '--url', server.url);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/400 .*role/);
  });

  it('refuses a second server on the same folder, naming it', async () => {
    const second = await run(SERVER_ENTRY, { ...env, PORT: '0' });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`${join(dataDir, 'pgdata')} is in use by a Baton server (pid ${server.process.pid}`);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('opens the folder once the server is gone, even after a SIGKILL left its lock behind', async () => {
    await server.kill();
    const listed = await cli(env, 'token', 'list');
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/ci\s+admin\s+active/);
  });
});
