import { testDatabaseKinds, waitFor } from '@baton/testing';
import { http, useTestServer } from './support/test-app.js';
import { waitForRun } from './support/runs.js';

/** The example style: replicas with resources, named retry policies, a saga and hints. */
const EXAMPLE_YAML = `
workflow:
  name: data-processing-pipeline
  version: "1.0"
  orchestration_pattern: dag
  timeout: 1h
  agents:
    - type: builtin:echo
      count: 3
      capabilities: [csv_parsing, json_processing]
      resources: { cpu: 500m, memory: 1Gi }
    - type: builtin:transform
      count: 1
      capabilities: [aggregation]
  tasks:
    - id: ingest
      agent: builtin:echo
      timeout: 5m
      retry_policy: exponential_backoff
      parallel: true
      input: { topic: "{{ input.topic }}" }
    - id: aggregate
      agent: builtin:transform
      depends_on: [ingest]
      retry_policy: none
      input: { batches: "{{ steps.ingest.output.replicas }}" }
  coordination:
    communication: event_driven
    max_parallel: 4
  fault_tolerance:
    circuit_breaker: { failure_threshold: 5, timeout: 30s }
    saga_pattern: { compensation_enabled: true, rollback_on_failure: true }
`;

const yaml = { 'content-type': 'application/yaml' };

describe.each(testDatabaseKinds())('workflows on %s', (kind) => {
  const ctx = useTestServer(kind);

  it('accepts the example in YAML, stores its translation as a definition and executes it to completion', async () => {
    const created = await http('POST', `${ctx.url}/api/v1/workflows`, EXAMPLE_YAML, yaml);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      status: 'validated',
      validation_report: { valid: true, errors: [] },
      estimated_resources: { agents: 4, tasks: 2, steps: 5, max_parallel_steps: 3, resources: { cpu: 1.5, memory: 3072 } },
    });
    const { workflow_id: id, translation } = created.body;
    expect(translation.hints.fault_tolerance.circuit_breaker).toEqual({ failure_threshold: 5, timeout: '30s' });
    expect(translation.definition.orchestration).toEqual({
      timeout_seconds: 3600,
      execution: { concurrency: { maxParallel: 4 } },
      error_handling: { rollback: { on_failure: 'compensate' } },
    });

    // The definition library holds exactly the translated body.
    const stored = await http('GET', `${ctx.url}/api/v1/definitions/data-processing-pipeline/versions/1.0`);
    expect(stored.status).toBe(200);
    expect(stored.body.definition).toEqual(translation.definition);

    // The document is kept as written beside its translation.
    const read = await http('GET', `${ctx.url}/api/v1/workflows/${id}`);
    expect(read.status).toBe(200);
    expect(read.body.document.workflow.agents[0]).toEqual({ type: 'builtin:echo', count: 3, capabilities: ['csv_parsing', 'json_processing'], resources: { cpu: '500m', memory: '1Gi' } });
    expect(read.body.translation).toEqual(translation);

    const before = await http('GET', `${ctx.url}/api/v1/workflows/${id}/status`);
    expect(before.body).toMatchObject({ current_phase: 'validated', execution_id: null });

    const started = await http('POST', `${ctx.url}/api/v1/workflows/${id}/execute`, { input_data: { topic: 'sales' }, execution_options: { timeout: '10m' } });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({
      status: 'planning',
      allocated_agents: [{ type: 'builtin:echo', count: 3 }, { type: 'builtin:transform', count: 1 }],
      execution_url: `/api/v1/runs/${started.body.execution_id}`,
    });

    const run = await waitForRun(ctx.url, started.body.execution_id);
    expect(run.status).toBe('completed');
    expect(run.steps.map((s: any) => s.id).sort()).toEqual(['aggregate', 'ingest', 'ingest_r1', 'ingest_r2', 'ingest_r3']);
    const aggregate = run.steps.find((s: any) => s.id === 'aggregate');
    expect(aggregate.output).toEqual({ batches: [{ topic: 'sales' }, { topic: 'sales' }, { topic: 'sales' }] });

    const status = await http('GET', `${ctx.url}/api/v1/workflows/${id}/status`);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      execution_id: started.body.execution_id,
      current_phase: 'completed',
      performance_metrics: { steps_total: 5, steps_completed: 5, steps_failed: 0 },
      error_details: [],
    });
    expect(status.body.agents[0].tasks.map((t: any) => t.step).sort()).toEqual(['ingest', 'ingest_r1', 'ingest_r2', 'ingest_r3']);
    expect(status.body.agents[1].tasks).toEqual([expect.objectContaining({ step: 'aggregate', status: 'completed' })]);
  });

  it('answers 422 with the report for an invalid document and stores nothing', async () => {
    const doc = {
      workflow: {
        name: 'broken-flow', version: '1', orchestration_pattern: 'sequential',
        agents: [{ type: 'builtin:echo', count: 0 }],
        tasks: [{ id: 'a', agent: 'nobody', retry_policy: 'sometimes' }],
      },
    };
    const response = await http('POST', `${ctx.url}/api/v1/workflows`, doc);
    expect(response.status).toBe(422);
    expect(response.body.details.validation_report.valid).toBe(false);
    expect(response.body.details.validation_report.errors.map((e: any) => e.path).sort()).toEqual([
      'workflow.agents[0].count',
      'workflow.tasks[0].agent',
      'workflow.tasks[0].retry_policy',
    ]);
    expect((await http('GET', `${ctx.url}/api/v1/definitions/broken-flow`)).status).toBe(404);
  });

  it('answers 422 naming the definition field when the translation is refused (an unknown agent)', async () => {
    const doc = { workflow: { name: 'ghost-flow', version: '1', orchestration_pattern: 'dag', agents: [{ type: 'ghost-agent' }], tasks: [{ id: 'a', agent: 'ghost-agent' }] } };
    const response = await http('POST', `${ctx.url}/api/v1/workflows`, doc);
    expect(response.status).toBe(422);
    expect(response.body.details.validation_report.errors).toEqual([{ path: 'definition.steps[0].agent', message: 'unknown agent "ghost-agent"' }]);
  });

  it('answers 400 for an unknown orchestration pattern', async () => {
    const doc = { workflow: { name: 'p', version: '1', orchestration_pattern: 'committee', agents: [{ type: 'builtin:echo' }], tasks: [{ id: 'a', agent: 'builtin:echo' }] } };
    const response = await http('POST', `${ctx.url}/api/v1/workflows`, doc);
    expect(response.status).toBe(400);
    expect(response.body.details).toEqual([expect.objectContaining({ path: 'workflow.orchestration_pattern' })]);
  });

  it('answers 404 for an unknown workflow and 400 for options it cannot honour', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await http('POST', `${ctx.url}/api/v1/workflows/${unknown}/execute`, {})).status).toBe(404);
    expect((await http('GET', `${ctx.url}/api/v1/workflows/${unknown}/status`)).status).toBe(404);
    const doc = { workflow: { name: 'opts-flow', version: '1', orchestration_pattern: 'dag', agents: [{ type: 'builtin:echo' }], tasks: [{ id: 'a', agent: 'builtin:echo' }] } };
    const { body } = await http('POST', `${ctx.url}/api/v1/workflows`, doc);
    const refused = await http('POST', `${ctx.url}/api/v1/workflows/${body.workflow_id}/execute`, { execution_options: { retry_policy: 'fixed' } });
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual([expect.objectContaining({ path: 'execution_options.retry_policy' })]);
  });

  it('shows a failed execution with its error details, after one attempt under retry_policy none', async () => {
    const doc = {
      workflow: {
        name: 'failing-flow', version: '1', orchestration_pattern: 'sequential',
        agents: [{ type: 'builtin:fail' }],
        tasks: [{ id: 'breaks', agent: 'builtin:fail', retry_policy: 'none', input: { message: 'upstream is down' } }],
      },
    };
    const { body } = await http('POST', `${ctx.url}/api/v1/workflows`, doc);
    const started = await http('POST', `${ctx.url}/api/v1/workflows/${body.workflow_id}/execute`, {});
    expect(started.status).toBe(202);
    expect((await waitForRun(ctx.url, started.body.execution_id)).status).toBe('failed');
    const status = (await http('GET', `${ctx.url}/api/v1/workflows/${body.workflow_id}/status`)).body;
    expect(status).toMatchObject({ current_phase: 'failed', performance_metrics: { steps_total: 1, steps_failed: 1, attempts: 1 } });
    expect(status.error_details).toContainEqual(expect.objectContaining({ scope: 'step', step: 'breaks', message: expect.stringContaining('upstream is down') }));
  });

  it('pauses the running execution', async () => {
    const doc = {
      workflow: {
        name: 'slow-flow', version: '1', orchestration_pattern: 'pipeline',
        agents: [{ type: 'builtin:delay' }, { type: 'builtin:echo' }],
        tasks: [{ id: 'wait', agent: 'builtin:delay', input: { ms: 3000 } }, { id: 'after', agent: 'builtin:echo' }],
      },
    };
    const { body } = await http('POST', `${ctx.url}/api/v1/workflows`, doc);
    expect(body.translation.definition.steps[1].depends_on).toEqual(['wait']);
    expect((await http('POST', `${ctx.url}/api/v1/workflows/${body.workflow_id}/pause`)).status).toBe(409);
    const started = await http('POST', `${ctx.url}/api/v1/workflows/${body.workflow_id}/execute`, { input_data: {} });
    await waitForRun(ctx.url, started.body.execution_id, (run) => run.status === 'running');
    const paused = await http('POST', `${ctx.url}/api/v1/workflows/${body.workflow_id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ execution_id: started.body.execution_id, status: 'paused', checkpoint_id: expect.stringMatching(/^[0-9a-f-]{36}$/), resume_url: `/api/v1/runs/${started.body.execution_id}/resume` });
    const status = await waitFor(async () => {
      const s = await http('GET', `${ctx.url}/api/v1/workflows/${body.workflow_id}/status`);
      return s.body.current_phase === 'paused' ? s.body : undefined;
    }, { timeoutMs: 10_000, what: 'paused phase' });
    expect(status.execution_id).toBe(started.body.execution_id);
    await http('POST', `${ctx.url}/api/v1/runs/${started.body.execution_id}/cancel`, {});
  });

  it('refuses a bad max_concurrent_executions with the report', async () => {
    const doc = { workflow: { name: 'bad-limit-flow', version: '1', orchestration_pattern: 'dag', agents: [{ type: 'builtin:echo' }], tasks: [{ id: 'a', agent: 'builtin:echo' }], coordination: { max_concurrent_executions: 0 } } };
    const response = await http('POST', `${ctx.url}/api/v1/workflows`, doc);
    expect(response.status).toBe(422);
    expect(response.body.details.validation_report.errors).toEqual([expect.objectContaining({ path: 'workflow.coordination.max_concurrent_executions' })]);
  });

  it('answers exactly one of two racing executes with 202 and the other with 409 under max_concurrent_executions 1', async () => {
    const doc = {
      workflow: {
        name: 'single-flow', version: '1', orchestration_pattern: 'dag',
        agents: [{ type: 'builtin:delay' }], tasks: [{ id: 'wait', agent: 'builtin:delay', input: { ms: 20_000 } }],
        coordination: { max_concurrent_executions: 1 },
      },
    };
    const { body } = await http('POST', `${ctx.url}/api/v1/workflows`, doc);
    expect(body.translation.hints.max_concurrent_executions).toBe(1);
    const execute = () => http('POST', `${ctx.url}/api/v1/workflows/${body.workflow_id}/execute`, {});
    const answers = await Promise.all([execute(), execute()]);
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
    const winner = answers.find((a) => a.status === 202)!.body.execution_id;
    const refused = answers.find((a) => a.status === 409)!.body;
    expect(refused.message).toContain(winner);
    expect(refused.details).toMatchObject({ code: 'workflow_execution_limit', running_executions: [winner], max_concurrent_executions: 1 });
    // The refused call left no run behind: the workflow's only execution is the winner.
    const runs = await http('GET', `${ctx.url}/api/v1/runs?definition=single-flow`);
    expect(runs.body.runs.map((r: any) => r.id)).toEqual([winner]);
    // Once the execution is finished the slot is free again.
    await http('POST', `${ctx.url}/api/v1/runs/${winner}/cancel`, {});
    await waitForRun(ctx.url, winner);
    const next = await execute();
    expect(next.status).toBe(202);
    // The count looked at the ended execution once and marked it: later counts skip it.
    const links = await ctx.database.db.query<{ run_id: string; finished: boolean }>(
      `select run_id, finished_at is not null as finished from workflow_executions where workflow_id = $1::uuid`, [body.workflow_id]);
    expect(new Map(links.rows.map((r) => [r.run_id, r.finished]))).toEqual(new Map([[winner, true], [next.body.execution_id, false]]));
    await http('POST', `${ctx.url}/api/v1/runs/${next.body.execution_id}/cancel`, {});
    await waitForRun(ctx.url, next.body.execution_id);
  });
});
