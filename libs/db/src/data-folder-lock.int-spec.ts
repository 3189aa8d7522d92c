import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFolderLockedError, PgliteDatabase } from './index.js';

describe('the PGlite data folder lock', () => {
  let template: string;
  let root: string;
  let folder: string;

  // Creating a database takes seconds; each test gets a copy of one made once.
  beforeAll(async () => {
    template = mkdtempSync(join(tmpdir(), 'baton-lock-template-'));
    await (await PgliteDatabase.open(join(template, 'pgdata'))).close();
  });

  afterAll(() => rmSync(template, { recursive: true, force: true }));

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'baton-lock-'));
    folder = join(root, 'pgdata');
    cpSync(join(template, 'pgdata'), folder, { recursive: true });
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('refuses a second opener while the first holds the folder, naming the folder and the holder', async () => {
    const first = await PgliteDatabase.open(folder, 'server');
    try {
      const second = PgliteDatabase.open(folder, 'cli');
      await expect(second).rejects.toBeInstanceOf(DataFolderLockedError);
      const error = (await second.catch((e: unknown) => e)) as DataFolderLockedError;
      expect(error.message).toContain(folder);
      expect(error.message).toContain(`pid ${process.pid}`);
      expect(error.message).toMatch(/a Baton server .* HTTP API/);
      expect(error.holder).toMatchObject({ pid: process.pid, owner: 'server' });
      // The first one is unaffected.
      expect((await first.query<{ n: number }>('select 1 as n')).rows[0]!.n).toBe(1);
    } finally {
      await first.close();
    }
    expect(existsSync(`${folder}.lock`)).toBe(false);
    const again = await PgliteDatabase.open(folder, 'cli');
    await again.close();
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    // A real pid that has just exited.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    writeFileSync(`${folder}.lock`, JSON.stringify({ pid: deadPid, startTicks: null, hostname: hostname(), owner: 'server', since: '2026-01-01T00:00:00Z' }));
    const db = await PgliteDatabase.open(folder, 'cli');
    try {
      expect(JSON.parse(readFileSync(`${folder}.lock`, 'utf8'))).toMatchObject({ pid: process.pid, owner: 'cli' });
    } finally {
      await db.close();
    }
  });

  it('takes over a lock whose pid now belongs to another process (pid reuse)', async () => {
    // Our own pid, but a start time that is not ours: the recorded holder is gone.
    writeFileSync(`${folder}.lock`, JSON.stringify({ pid: process.pid, startTicks: 1, hostname: hostname(), owner: 'server', since: '2026-01-01T00:00:00Z' }));
    const db = await PgliteDatabase.open(folder);
    await db.close();
  });

  it('takes over an empty lock file left by a crash between creating and writing it', async () => {
    writeFileSync(`${folder}.lock`, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${folder}.lock`, old, old);
    const db = await PgliteDatabase.open(folder);
    await db.close();
  });

  it('creates the database of a fresh folder, and keeps its data across opens', async () => {
    rmSync(folder, { recursive: true });
    const db = await PgliteDatabase.open(folder);
    await db.exec('create table kept (v text); insert into kept values ($$x$$)');
    await db.close();
    expect(existsSync(join(folder, 'PG_VERSION'))).toBe(true);
    const reopened = await PgliteDatabase.open(folder);
    try {
      expect((await reopened.query<{ v: string }>('select v from kept')).rows).toEqual([{ v: 'x' }]);
      // The memory settings are in effect (see PGLITE_START_PARAMS).
      expect((await reopened.query<{ shared_buffers: string }>('show shared_buffers')).rows[0]!.shared_buffers).toBe('32MB');
    } finally {
      await reopened.close();
    }
  });
});
