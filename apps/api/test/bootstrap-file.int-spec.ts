import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
import { defaultPolicyText } from '@baton/policy';
import { http, startTestApp } from './support/test-app.js';

const goodFile = (cron: string) => `
agents:
  - name: summariser
    kind: http
    url: https://agents.example.com/summarise
    capabilities: [summarise]
definitions:
  - name: nightly-report
    version: "1.0.0"
    steps:
      - id: say
        agent: builtin:echo
        input: { hello: report }
webhooks:
  - name: ops-feed
    url: https://hooks.example.com/baton
    events: [run.completed, run.failed]
schedules:
  - name: nightly
    definition: { name: nightly-report, version: "1.0.0" }
    cron: "${cron}"
    timezone: Europe/Paris
    overlap: buffer_one
`;

describe.each(testDatabaseKinds())('the bootstrap file on %s', (kind) => {
  let database: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    dir = mkdtempSync(join(tmpdir(), 'baton-bootstrap-'));
  });
  afterAll(async () => {
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts a server with the file, reads what it seeded, stops it. */
  async function startWith(file: string) {
    const server = await startTestApp(database.db, { BATON_BOOTSTRAP_FILE: file });
    try {
      const get = async (path: string) => (await http('GET', `${server.url}${path}`)).body;
      return {
        schedules: (await get('/api/v1/schedules')).schedules,
        agent: await get('/api/v1/agents/summariser'),
        webhooks: (await get('/api/v1/webhooks')).items,
        definition: await get('/api/v1/definitions/nightly-report'),
      };
    } finally {
      await server.close();
    }
  }

  it('seeds every section, changes nothing on a second start, and updates a changed entry', async () => {
    const file = join(dir, 'baton.yaml');
    writeFileSync(file, goodFile('0 6 * * *'));
    const first = await startWith(file);
    expect(first.schedules).toHaveLength(1);
    expect(first.schedules[0]).toMatchObject({ name: 'nightly', cron: '0 6 * * *', timezone: 'Europe/Paris', overlap: 'buffer_one', definition: { name: 'nightly-report', version: '1.0.0' } });
    expect(first.agent).toMatchObject({ name: 'summariser', kind: 'http' });
    expect(first.webhooks.filter((w: any) => w.description === 'bootstrap:ops-feed')).toHaveLength(1);
    expect(first.definition).toMatchObject({ name: 'nightly-report', version: '1.0.0' });

    const second = await startWith(file);
    expect(second.schedules).toEqual(first.schedules);
    expect(second.webhooks).toEqual(first.webhooks);
    expect(second.agent).toEqual(first.agent);

    writeFileSync(file, goodFile('15 7 * * 1-5'));
    const third = await startWith(file);
    expect(third.schedules).toHaveLength(1);
    expect(third.schedules[0]).toMatchObject({ id: first.schedules[0].id, cron: '15 7 * * 1-5' });
    expect(third.webhooks).toEqual(first.webhooks);
  });

  it('seeds named node registration tokens that nodes register with, idempotently', async () => {
    const gpuSecret = 'gpu-pool-secret-0123456789';
    process.env.BATON_TEST_CPU_POOL_TOKEN = 'cpu-pool-secret-0123456789';
    const file = join(dir, 'nodes.yaml');
    const tokens = (gpuLabel: string) => `
node_registration_tokens:
  - name: gpu-pool
    sha256: ${createHash('sha256').update(gpuSecret).digest('hex')}
    labels: { pool: ${gpuLabel} }
  - name: cpu-pool
    token_env: BATON_TEST_CPU_POOL_TOKEN
`;
    writeFileSync(file, tokens('gpu'));
    const register = async (url: string, token: string) =>
      http('POST', `${url}/api/v1/nodes/register`, { name: 'n', capabilities: ['x'], labels: { pool: 'mine', zone: 'a' } }, { authorization: `Bearer ${token}` });
    const stored = async () => (await database.db.query(`select name, labels, updated_at from node_registration_tokens order by name`)).rows;
    for (let start = 0; start < 2; start++) {
      const server = await startTestApp(database.db, { BATON_BOOTSTRAP_FILE: file });
      try {
        const gpu = await register(server.url, gpuSecret);
        expect(gpu.status).toBe(201);
        // The token's labels win over the node's own.
        expect((await http('GET', `${server.url}/api/v1/nodes/${gpu.body.node_id}`)).body.labels).toEqual({ pool: 'gpu', zone: 'a' });
        expect((await register(server.url, process.env.BATON_TEST_CPU_POOL_TOKEN!)).status).toBe(201);
        expect((await register(server.url, 'not-a-pool-secret-0123456789')).status).toBe(401);
      } finally {
        await server.close();
      }
    }
    const once = await stored();
    expect(once.map((row) => row.name)).toEqual(['cpu-pool', 'gpu-pool']);
    // A second start with the same file wrote nothing; a changed entry is updated.
    writeFileSync(file, tokens('gpu-large'));
    await (await startTestApp(database.db, { BATON_BOOTSTRAP_FILE: file })).close();
    const after = await stored();
    expect(after[0]).toEqual(once[0]);
    expect(after[1]).toMatchObject({ name: 'gpu-pool', labels: { pool: 'gpu-large' } });
    expect(after[1].updated_at).not.toEqual(once[1].updated_at);
  });

  it('stores and activates a policy set from the file once, and again when it changes', async () => {
    const policyFile = join(dir, 'policy.cedar');
    writeFileSync(policyFile, `${defaultPolicyText()}\n// seeded by the bootstrap file\n`);
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, 'policies:\n  - file: policy.cedar\n    description: hub policy\n');
    const active = async () => {
      const server = await startTestApp(database.db, { BATON_BOOTSTRAP_FILE: file });
      try {
        return (await http('GET', `${server.url}/api/v1/policies`)).body.active;
      } finally {
        await server.close();
      }
    };
    const first = await active();
    expect(first.version).toEqual(expect.any(Number));
    const second = await active();
    expect(second).toEqual(first);
    writeFileSync(policyFile, `${defaultPolicyText()}\n// changed\n`);
    const third = await active();
    expect(third.version).toBeGreaterThan(first.version);
    writeFileSync(file, 'policies:\n  - body: "permit(principal, action, resource) unless {"\n');
    await expect(startTestApp(database.db, { BATON_BOOTSTRAP_FILE: file })).rejects.toThrow(/policies\[0\]/);
  });

  it('stops start-up on a bad file with every error, each naming the file and the field', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, `
schedules:
  - name: broken
    plan: { steps: [{ id: a, agent: builtin:echo }] }
    cron: "61 * * * *"
    timezone: Atlantis/Lost
webhooks:
  - url: https://hooks.example.com/x
colours: [blue]
`);
    await expect(startTestApp(database.db, { BATON_BOOTSTRAP_FILE: file })).rejects.toThrow(/colours: is not a section/);
    writeFileSync(file, `
schedules:
  - name: broken
    plan: { steps: [{ id: a, agent: builtin:echo }] }
    cron: "61 * * * *"
    timezone: Atlantis/Lost
webhooks:
  - url: https://hooks.example.com/x
node_registration_tokens:
  - name: pool
    sha256: not-hex
`);
    const failure = await startTestApp(database.db, { BATON_BOOTSTRAP_FILE: file }).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(failure).toContain(`${file}: schedules[0].cron:`);
    expect(failure).toContain(`${file}: schedules[0].timezone:`);
    expect(failure).toContain(`${file}: webhooks[0].name:`);
    expect(failure).toContain(`${file}: node_registration_tokens[0].sha256: must be 64 hex digits`);
  });
});
