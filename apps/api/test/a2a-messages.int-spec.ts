import { randomUUID } from 'node:crypto';
import { testDatabaseKinds } from '@baton/testing';
import { rpc } from './support/a2a-rpc.js';
import { http, startTestApp, useTestServer } from './support/test-app.js';

const textV10 = (text: string, extra: Record<string, unknown> = {}) => ({
  message: { messageId: randomUUID(), role: 'ROLE_USER', parts: [{ text }], ...extra },
});
const textV03 = (text: string, extra: Record<string, unknown> = {}) => ({
  message: { kind: 'message', messageId: randomUUID(), role: 'user', parts: [{ kind: 'text', text }], ...extra },
});

/** Issue 11, "what an ordinary A2A client expects": free text, message ids. */
describe.each(testDatabaseKinds())('A2A messages on %s', (kind) => {
  const ctx = useTestServer(kind, { BATON_A2A_DEFAULT_DEFINITION: 'chat', BATON_POLL_INTERVAL_MS: '200' });

  beforeAll(async () => {
    const chat = {
      name: 'chat',
      version: '1.0.0',
      description: 'Answers free text',
      steps: [{ id: 'reply', agent: 'builtin:transform', input: { heard: '{{ input.text }}', messageId: '{{ input.messageId }}', contextId: '{{ input.contextId }}' } }],
    };
    expect((await http('POST', `${ctx.url}/api/v1/definitions`, chat)).status).toBe(201);
  });

  it('routes free text to the default skill, with the message as its input (both dialects)', async () => {
    const v10 = await rpc(ctx.url, undefined, 'SendMessage', { ...textV10('What causes tides?', { contextId: 'ctx-tides' }) });
    const task = v10.body.result.task;
    expect(task.status.state).toBe('TASK_STATE_COMPLETED');
    expect(task.artifacts[0].parts[0].data).toMatchObject({ heard: 'What causes tides?', contextId: 'ctx-tides' });
    const run = await http('GET', `${ctx.url}/api/v1/runs/${task.id}`);
    expect(run.body.definition.name).toBe('chat');
    expect(run.body.input).toMatchObject({ text: 'What causes tides?', parts: [{ kind: 'text', text: 'What causes tides?' }], data: null, metadata: {} });

    // One word that names no definition is free text too; one that names one is that skill.
    const word = await rpc(ctx.url, undefined, 'message/send', textV03('hello'), '0.3');
    expect(word.body.result.artifacts[0].parts[0].data).toMatchObject({ heard: 'hello' });
  });

  it('explains how to name a skill when no default skill is configured', async () => {
    const bare = await startTestApp(ctx.database.db);
    try {
      const answer = await rpc(bare.url, undefined, 'SendMessage', textV10('What causes tides?'));
      expect(answer.body.error).toMatchObject({ code: -32602, message: expect.stringContaining('metadata.skill') });
      expect(answer.body.error.message).toContain('BATON_A2A_DEFAULT_DEFINITION');
    } finally {
      await bare.close();
    }
  });
});
