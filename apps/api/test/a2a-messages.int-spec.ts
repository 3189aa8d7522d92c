import { randomUUID } from 'node:crypto';
import { testDatabaseKinds } from '@baton/testing';
import { checkV03, checkV10 } from '../../../libs/a2a/src/testing/a2a-schemas.js';
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
    const echo = { name: 'echo-input', version: '1.0.0', steps: [{ id: 'got', agent: 'builtin:echo', input: '{{ input }}' }] };
    expect((await http('POST', `${ctx.url}/api/v1/definitions`, echo)).status).toBe(201);
    const convo = {
      name: 'convo',
      version: '1.0.0',
      steps: [
        { id: 'reply', agent: 'builtin:echo', input: '{{ input }}' },
        { id: 'note', agent: 'builtin:transform', input: { file: { name: 'notes.txt', mediaType: 'text/plain', bytes: 'bm90ZXM=' } } },
        { id: 'review', type: 'checkpoint', depends_on: ['reply'], checkpoint: { prompt: 'Send the table?' } },
      ],
    };
    expect((await http('POST', `${ctx.url}/api/v1/definitions`, convo)).status).toBe(201);
  });

  it('drives a conversation: file and data parts in and out, history, and a follow-up linked to the last task', async () => {
    const contextId = `conversation-${randomUUID()}`;
    const first = await rpc(ctx.url, undefined, 'SendMessage', {
      message: {
        messageId: 'm-1', contextId, role: 'ROLE_USER', metadata: { skill: 'convo' },
        parts: [{ text: 'draft a tide table' }, { raw: 'aGk=', filename: 'hi.txt', mediaType: 'text/plain' }, { data: { region: 'north' } }],
      },
    });
    const task = first.body.result.task;
    expect(checkV10('Task', task)).toEqual([]);
    expect(task.status.state).toBe('TASK_STATE_INPUT_REQUIRED');
    expect(task.history.map((m: any) => [m.role, m.parts[0]])).toEqual([
      ['ROLE_USER', { text: 'draft a tide table' }],
      ['ROLE_AGENT', { text: 'Send the table?' }],
    ]);

    const answered = await rpc(ctx.url, undefined, 'SendMessage', { message: { messageId: 'm-2', contextId, taskId: task.id, role: 'ROLE_USER', parts: [{ data: { decision: 'approve' } }] } });
    const done = answered.body.result.task;
    expect(done.status.state).toBe('TASK_STATE_COMPLETED');
    const artifacts = Object.fromEntries(done.artifacts.map((a: any) => [a.artifactId, a.parts[0]]));
    expect(artifacts.note).toEqual({ raw: 'bm90ZXM=', filename: 'notes.txt', mediaType: 'text/plain' });
    expect(artifacts.review.data.reply).toMatchObject({ region: 'north', text: 'draft a tide table', files: [{ bytes: 'aGk=', name: 'hi.txt', mediaType: 'text/plain' }] });

    const lastTwo = await rpc(ctx.url, undefined, 'GetTask', { id: task.id, historyLength: 2 });
    expect(lastTwo.body.result.history.map((m: any) => m.messageId)).toEqual([expect.stringMatching(new RegExp(`^${task.id}-approval-`)), 'm-2']);
    expect(lastTwo.body.result.history[0].role).toBe('ROLE_AGENT');
    expect((await rpc(ctx.url, undefined, 'GetTask', { id: task.id, historyLength: 0 })).body.result.history ?? []).toEqual([]);

    // A follow-up in v0.3: a new task, linked to the finished one, whose output it receives.
    const next = await rpc(ctx.url, undefined, 'message/send', {
      message: { kind: 'message', messageId: 'm-3', contextId, role: 'user', metadata: { skill: 'convo' }, parts: [{ kind: 'text', text: 'and for the south?' }] },
      configuration: { historyLength: 1 },
    }, '0.3');
    const second = next.body.result;
    expect(checkV03('Task', second)).toEqual([]);
    expect(second.id).not.toBe(task.id);
    expect(second.history).toEqual([expect.objectContaining({ kind: 'message', role: 'agent', parts: [{ kind: 'text', text: 'Send the table?' }] })]);
    const run = await http('GET', `${ctx.url}/api/v1/runs/${second.id}`);
    expect(run.body.metadata.a2a.previousTaskId).toBe(task.id);
    expect(run.body.input.previous).toMatchObject({ taskId: task.id, state: 'completed', output: { note: { file: { name: 'notes.txt' } } } });

    const listed = await rpc(ctx.url, undefined, 'ListTasks', { contextId });
    expect(listed.body.result.tasks.map((t: any) => t.id)).toEqual([second.id, task.id]);
    expect(listed.body.result.tasks[1].history ?? []).toEqual([]);
    const withHistory = await rpc(ctx.url, undefined, 'ListTasks', { contextId, historyLength: 1 });
    expect(withHistory.body.result.tasks[1].history.map((m: any) => m.messageId)).toEqual(['m-2']);
  });

  it('answers a blocking send with a Message when the definition says so and the task completes at once', async () => {
    const quick = { name: 'quick-answer', version: '1.0.0', a2a: { answer: 'message' }, steps: [{ id: 'say', agent: 'builtin:transform', input: 'the answer' }] };
    expect((await http('POST', `${ctx.url}/api/v1/definitions`, quick)).status).toBe(201);
    const bad = await http('POST', `${ctx.url}/api/v1/definitions`, { ...quick, name: 'bad-answer', a2a: { answer: 'letter' } });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: any) => d.path)).toEqual(['a2a.answer']);

    const v10 = await rpc(ctx.url, undefined, 'SendMessage', textV10('go', { metadata: { skill: 'quick-answer' } }));
    expect(checkV10('SendMessageResponse', v10.body.result)).toEqual([]);
    expect(v10.body.result.message).toMatchObject({ role: 'ROLE_AGENT', parts: [{ text: 'the answer' }] });
    const v03 = await rpc(ctx.url, undefined, 'message/send', textV03('go', { metadata: { skill: 'quick-answer' } }), '0.3');
    expect(checkV03('Message', v03.body.result)).toEqual([]);
    expect(v03.body.result).toMatchObject({ kind: 'message', role: 'agent', parts: [{ kind: 'text', text: 'the answer' }] });
    // Not blocking: the task, as always.
    const later = await rpc(ctx.url, undefined, 'SendMessage', { ...textV10('go', { metadata: { skill: 'quick-answer' } }), configuration: { returnImmediately: true } });
    expect(later.body.result.task).toBeDefined();
  });

  it('treats only an identical repeat of a message id as a retry', async () => {
    const messageId = randomUUID();
    const first = await rpc(ctx.url, undefined, 'SendMessage', { message: { messageId, role: 'ROLE_USER', parts: [{ text: 'first question' }] } });
    const retry = await rpc(ctx.url, undefined, 'SendMessage', { message: { messageId, role: 'ROLE_USER', parts: [{ text: 'first question' }] } });
    expect(retry.body.result.task.id).toBe(first.body.result.task.id);
    const reused = await rpc(ctx.url, undefined, 'SendMessage', { message: { messageId, role: 'ROLE_USER', parts: [{ text: 'another question' }] } });
    expect(reused.body.result.task.id).not.toBe(first.body.result.task.id);
    expect(reused.body.result.task.artifacts[0].parts[0].data).toMatchObject({ heard: 'another question' });
  });

  it('takes text, data and file parts (bytes and URI) in, in both dialects', async () => {
    const v10 = await rpc(ctx.url, undefined, 'SendMessage', {
      message: {
        messageId: randomUUID(),
        role: 'ROLE_USER',
        metadata: { skill: 'echo-input' },
        parts: [{ text: 'see attached' }, { raw: 'aGVsbG8=', filename: 'hello.txt', mediaType: 'text/plain' }, { url: 'https://example.com/tide.png', mediaType: 'image/png' }],
      },
    });
    expect(v10.body.result.task.artifacts[0].parts[0].data).toEqual({
      text: 'see attached',
      files: [{ bytes: 'aGVsbG8=', name: 'hello.txt', mediaType: 'text/plain' }, { uri: 'https://example.com/tide.png', mediaType: 'image/png' }],
    });
    const v03 = await rpc(ctx.url, undefined, 'message/send', {
      message: {
        kind: 'message', messageId: randomUUID(), role: 'user', metadata: { skill: 'echo-input' },
        parts: [{ kind: 'text', text: 'see attached' }, { kind: 'file', file: { bytes: 'aGVsbG8=', name: 'hello.txt', mimeType: 'text/plain' } }],
      },
    }, '0.3');
    expect(v03.body.result.artifacts[0].parts[0].data).toEqual({ text: 'see attached', files: [{ bytes: 'aGVsbG8=', name: 'hello.txt', mediaType: 'text/plain' }] });

    const badFile = await rpc(ctx.url, undefined, 'message/send', { message: { kind: 'message', messageId: randomUUID(), role: 'user', parts: [{ kind: 'file', file: { name: 'x' } }] } }, '0.3');
    expect(badFile.body.error).toMatchObject({ code: -32602, message: expect.stringContaining('params.message.parts[0].file') });
    const badType = await rpc(ctx.url, undefined, 'SendMessage', { message: { messageId: randomUUID(), role: 'ROLE_USER', parts: [{ text: 'x', mediaType: 'image/png' }] } });
    expect(badType.body.error).toMatchObject({ code: -32005, message: expect.stringContaining('params.message.parts[0].mediaType') });
  });

  it('turns run output into artifacts of the right kind: text, file (bytes, URI), data', async () => {
    const plan = {
      steps: [
        { id: 'words', agent: 'builtin:transform', input: 'plain words' },
        { id: 'note', agent: 'builtin:transform', input: { file: { name: 'note.txt', mediaType: 'text/plain', bytes: 'aGVsbG8=' } } },
        { id: 'chart', agent: 'builtin:transform', input: { file: { uri: 'https://example.com/chart.png', mediaType: 'image/png' } } },
        { id: 'numbers', agent: 'builtin:transform', input: { n: 1 } },
      ],
    };
    const v10 = await rpc(ctx.url, undefined, 'SendMessage', { message: { messageId: randomUUID(), role: 'ROLE_USER', parts: [{ data: { plan } }] } });
    const task = v10.body.result.task;
    expect(checkV10('Task', task)).toEqual([]);
    const byId = Object.fromEntries(task.artifacts.map((a: any) => [a.artifactId, a.parts[0]]));
    expect(byId).toEqual({
      words: { text: 'plain words' },
      note: { raw: 'aGVsbG8=', filename: 'note.txt', mediaType: 'text/plain' },
      chart: { url: 'https://example.com/chart.png', mediaType: 'image/png' },
      numbers: { data: { n: 1 }, mediaType: 'application/json' },
    });
    const v03 = await rpc(ctx.url, undefined, 'tasks/get', { id: task.id }, '0.3');
    expect(checkV03('Task', v03.body.result)).toEqual([]);
    const kinds = Object.fromEntries(v03.body.result.artifacts.map((a: any) => [a.artifactId, a.parts[0]]));
    expect(kinds).toEqual({
      words: { kind: 'text', text: 'plain words' },
      note: { kind: 'file', file: { bytes: 'aGVsbG8=', name: 'note.txt', mimeType: 'text/plain' } },
      chart: { kind: 'file', file: { uri: 'https://example.com/chart.png', mimeType: 'image/png' } },
      numbers: { kind: 'data', data: { n: 1 } },
    });
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
