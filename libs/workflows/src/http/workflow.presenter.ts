import type { RunWithSteps, Step } from '@baton/runs';
import type { StoredWorkflow } from '../workflow.repository.js';
import { phaseOf } from '../workflow.service.js';

/** The seed's status view of a workflow: its phase, agents and their tasks, metrics, errors. */
export function presentStatus(workflow: StoredWorkflow, run: RunWithSteps | undefined) {
  const steps = run?.steps ?? [];
  const agents = workflow.translation.hints.agents.map((agent) => {
    const tasks = steps.filter((s) => s.agent === agent.type).map((s) => ({ step: s.key, status: s.status, served_by: s.servedBy, attempt: s.attempt }));
    return { type: agent.type, count: agent.count, capabilities: agent.capabilities, tasks };
  });
  const finished = (s: Step) => s.finishedAt !== null && s.startedAt !== null;
  const durations = steps.filter(finished).map((s) => s.finishedAt!.getTime() - s.startedAt!.getTime());
  return {
    workflow_id: workflow.id,
    execution_id: run?.id ?? null,
    current_phase: phaseOf(run?.status),
    run_status: run?.status ?? null,
    agents,
    performance_metrics: {
      steps_total: steps.length,
      steps_completed: steps.filter((s) => s.status === 'completed').length,
      steps_failed: steps.filter((s) => s.status === 'failed').length,
      attempts: steps.reduce((sum, s) => sum + s.attempt, 0),
      duration_ms: run?.startedAt ? (run.finishedAt ?? new Date()).getTime() - run.startedAt.getTime() : null,
      mean_step_ms: durations.length > 0 ? Math.round(durations.reduce((a, b) => a + b, 0) / durations.length) : null,
    },
    error_details: [
      ...(run?.error ? [{ scope: 'run', ...run.error }] : []),
      ...steps.filter((s) => s.error !== null && s.status === 'failed').map((s) => ({ scope: 'step', step: s.key, ...s.error! })),
    ],
    output: run?.status === 'completed' ? run.output : null,
  };
}

/** `POST /api/v1/workflows` (201). */
export function presentCreated(workflow: StoredWorkflow, report: unknown) {
  return {
    workflow_id: workflow.id,
    status: 'validated',
    name: workflow.name,
    version: workflow.version,
    definition: { id: workflow.definitionId, name: workflow.name, version: workflow.version },
    validation_report: report,
    estimated_resources: workflow.estimatedResources,
    translation: workflow.translation,
  };
}
