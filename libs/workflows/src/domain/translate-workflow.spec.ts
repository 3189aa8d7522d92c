import { validateDefinition } from '@baton/definitions';
import { RETRY_POLICIES, translateWorkflow } from './translate-workflow.js';

/** The example style: agents with replicas and resources, tasks with policies. */
export const EXAMPLE = {
  workflow: {
    name: 'data-processing-pipeline',
    version: '1.0',
    orchestration_pattern: 'dag',
    agents: [
      { type: 'builtin:echo', count: 3, capabilities: ['csv_parsing'], resources: { cpu: '500m', memory: '1Gi' } },
      { type: 'builtin:transform', count: 1, capabilities: ['aggregation'], resources: { cpu: 2, gpu_model: 'a100' } },
    ],
    tasks: [
      { id: 'ingest', agent: 'builtin:echo', timeout: '5m', retry_policy: 'exponential_backoff', parallel: true },
      { id: 'aggregate', agent: 'builtin:transform', depends_on: ['ingest'], retry_policy: 'none', timeout: 30 },
    ],
    coordination: { communication: 'event_driven', state_management: 'distributed' },
    fault_tolerance: {
      circuit_breaker: { failure_threshold: 5, timeout: '30s' },
      saga_pattern: { compensation_enabled: true, rollback_on_failure: true },
    },
  },
};

describe('translateWorkflow', () => {
  it('turns a parallel task into count replicas and a join step', () => {
    const { report, translation } = translateWorkflow(EXAMPLE);
    expect(report).toEqual({ valid: true, errors: [], warnings: [{ path: 'workflow.agents[1].resources.gpu_model', message: '"a100" is not a quantity: kept as a hint only' }] });
    const steps = translation!.definition.steps as Array<Record<string, unknown>>;
    expect(steps.map((s) => s.id)).toEqual(['ingest_r1', 'ingest_r2', 'ingest_r3', 'ingest', 'aggregate']);
    expect(steps[3]).toMatchObject({ agent: 'builtin:echo', depends_on: ['ingest_r1', 'ingest_r2', 'ingest_r3'], input: { replicas: ['{{ steps.ingest_r1.output }}', '{{ steps.ingest_r2.output }}', '{{ steps.ingest_r3.output }}'] } });
    expect(steps[4]).toMatchObject({ depends_on: ['ingest'], timeout_seconds: 30, retry: RETRY_POLICIES.none });
  });

  it('maps timeouts, retry policy names and resources to step settings', () => {
    const steps = translateWorkflow(EXAMPLE).translation!.definition.steps as Array<Record<string, unknown>>;
    expect(steps[0]).toMatchObject({
      agent: 'builtin:echo',
      timeout_seconds: 300,
      retry: { max_attempts: 3, backoff: { initial_ms: 1000, multiplier: 2, max_ms: 60000 } },
      node: { resources: { cpu: 0.5, memory: 1024 } },
    });
    expect(steps[4]!.node).toEqual({ resources: { cpu: 2 } });
  });

  it('keeps what has no definition field as hints, and maps the saga to rollback', () => {
    const { translation, estimated } = translateWorkflow(EXAMPLE);
    expect(translation!.hints.coordination).toEqual(EXAMPLE.workflow.coordination);
    expect(translation!.hints.fault_tolerance).toEqual(EXAMPLE.workflow.fault_tolerance);
    expect(translation!.hints.agents[1]).toEqual({ type: 'builtin:transform', count: 1, capabilities: ['aggregation'], resources: { cpu: 2, gpu_model: 'a100' } });
    expect(translation!.definition.orchestration).toEqual({ error_handling: { rollback: { on_failure: 'compensate' } } });
    expect(estimated).toEqual({ agents: 4, tasks: 2, steps: 5, max_parallel_steps: 3, resources: { cpu: 3.5, memory: 3072 } });
  });

  it('produces a body the definitions validator accepts', () => {
    const result = validateDefinition(translateWorkflow(EXAMPLE).translation!.definition);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it('maps the default retry policy and max_parallel onto orchestration settings', () => {
    const doc = { workflow: { ...EXAMPLE.workflow, coordination: { max_parallel: 2 }, fault_tolerance: { retry_policy: 'fixed' } } };
    expect(translateWorkflow(doc).translation!.definition.orchestration).toEqual({
      execution: { concurrency: { maxParallel: 2 } },
      error_handling: { on_step_failure: RETRY_POLICIES.fixed },
    });
  });

  it('keeps max_concurrent_executions as a hint and refuses anything but a positive integer', () => {
    const limited = translateWorkflow({ workflow: { ...EXAMPLE.workflow, coordination: { max_concurrent_executions: 1 } } });
    expect(limited.translation!.hints.max_concurrent_executions).toBe(1);
    expect(limited.translation!.mapping).toContainEqual(expect.objectContaining({ from: 'workflow.coordination.max_concurrent_executions' }));
    expect(translateWorkflow(EXAMPLE).translation!.hints.max_concurrent_executions).toBeUndefined();
    for (const bad of [0, -1, 1.5, '1', null]) {
      const result = translateWorkflow({ workflow: { ...EXAMPLE.workflow, coordination: { max_concurrent_executions: bad } } });
      expect(result.report.errors.map((e) => e.path)).toEqual(['workflow.coordination.max_concurrent_executions']);
    }
  });

  it('chains tasks without depends_on under sequential', () => {
    const doc = { workflow: { ...EXAMPLE.workflow, orchestration_pattern: 'sequential', tasks: [{ id: 'a', agent: 'builtin:transform' }, { id: 'b', agent: 'builtin:transform' }, { id: 'c', agent: 'builtin:transform', depends_on: ['a'] }] } };
    const steps = translateWorkflow(doc).translation!.definition.steps as Array<Record<string, unknown>>;
    expect(steps.map((s) => s.depends_on)).toEqual([undefined, ['a'], ['a']]);
  });

  it('reports an unknown pattern apart from other problems', () => {
    const result = translateWorkflow({ workflow: { ...EXAMPLE.workflow, orchestration_pattern: 'committee' } });
    expect(result.unknownPattern).toBe('committee');
    expect(result.report.valid).toBe(false);
  });

  it('reports every problem with its path', () => {
    const doc = {
      workflow: {
        name: 'w', version: 1, orchestration_pattern: 'dag', colour: 'red', fault_tolerance: { retry_policy: 'often' },
        agents: [{ type: 'builtin:echo', count: 0 }],
        tasks: [{ id: 'a', agent: 'nobody', retry_policy: 'sometimes', timeout: 'soon', depends_on: ['zz'] }, { id: 'a', agent: 'builtin:echo', parallel: 'yes' }],
      },
    };
    const { report, unknownPattern } = translateWorkflow(doc);
    expect(unknownPattern).toBeUndefined();
    expect(report.valid).toBe(false);
    expect(report.errors.map((e) => e.path).sort()).toEqual([
      'workflow.agents[0].count',
      'workflow.colour',
      'workflow.fault_tolerance.retry_policy',
      'workflow.tasks[0].agent',
      'workflow.tasks[0].depends_on[0]',
      'workflow.tasks[0].retry_policy',
      'workflow.tasks[0].timeout',
      'workflow.tasks[1].id',
      'workflow.tasks[1].parallel',
    ]);
  });

  it('requires the workflow mapping', () => {
    expect(translateWorkflow({ name: 'x' }).report.errors.map((e) => e.path)).toEqual(['workflow']);
    expect(translateWorkflow('text').report.valid).toBe(false);
  });
});
