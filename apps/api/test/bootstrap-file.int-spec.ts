import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '@baton/testing';
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
`);
    const failure = await startTestApp(database.db, { BATON_BOOTSTRAP_FILE: file }).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(failure).toContain(`${file}: schedules[0].cron:`);
    expect(failure).toContain(`${file}: schedules[0].timezone:`);
    expect(failure).toContain(`${file}: webhooks[0].name:`);
  });
});
