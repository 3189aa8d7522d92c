import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { BatonError, type FieldError } from '@baton/common';
import type { Transaction } from '@baton/db';
import { EventLogService } from '@baton/events';
import { OrchestrationDefinitionService, parseDefinitionBody } from '@baton/definitions';
import { OrchestrationRunFactoryService, RunControlService, RunQueryService, type Run, type RunActor, type RunWithSteps } from '@baton/runs';
import { translateWorkflow } from './domain/translate-workflow.js';
import { checkpointIdOf } from './domain/checkpoint-id.js';
import { readExecuteRequest } from './domain/execute-request.js';
import { WorkflowRepository, type StoredWorkflow } from './workflow.repository.js';
import type { ValidationReport } from './domain/workflow.types.js';

/** `details.code` of the 409 execute answers when `max_concurrent_executions` run already. */
export const EXECUTION_LIMIT_REACHED = 'workflow_execution_limit';

/**
 * The seed's workflow surface over Baton's own: a workflow is a translated definition (stored
 * by the definitions library) and an execution is a run (started by the run factory).
 */
@Injectable()
export class WorkflowService {
  constructor(
    @Inject(WorkflowRepository) private readonly workflows: WorkflowRepository,
    @Inject(OrchestrationDefinitionService) private readonly definitions: OrchestrationDefinitionService,
    @Inject(OrchestrationRunFactoryService) private readonly factory: OrchestrationRunFactoryService,
    @Inject(RunQueryService) private readonly runs: RunQueryService,
    @Inject(RunControlService) private readonly control: RunControlService,
    @Inject(EventLogService) private readonly events: EventLogService,
  ) {}

  /**
   * Validates, translates and stores a document. An unknown pattern is a 400; any other
   * problem, in the document or in the definition it translates to, a 422 with the report.
   */
  async create(body: unknown, createdBy: string | null) {
    const doc = parseDefinitionBody(body);
    const result = translateWorkflow(doc);
    if (result.unknownPattern !== undefined) throw BatonError.validation(result.report.errors);
    if (!result.report.valid) throw unprocessable(result.report);
    const translation = result.translation!;
    let definitionId: string;
    try {
      definitionId = (await this.definitions.register(translation.definition)).definition.id;
    } catch (error) {
      if (!(error instanceof BatonError) || error.kind !== 'validation') throw error;
      const errors = ((error.details as FieldError[] | undefined) ?? [{ path: 'definition', message: error.message }]).map((e) => ({ path: `definition.${e.path}`, message: e.message }));
      throw unprocessable({ valid: false, errors, warnings: result.report.warnings });
    }
    const stored = await this.workflows.insert(
      { name: String(translation.definition.name), version: String(translation.definition.version), document: doc, translation, estimatedResources: result.estimated!, definitionId },
      createdBy,
    );
    return { workflow: stored, report: result.report };
  }

  async get(id: string): Promise<StoredWorkflow> {
    const workflow = await this.workflows.find(id);
    if (!workflow) throw BatonError.notFound('workflow', id);
    return workflow;
  }

  /**
   * Starts a run of the workflow's definition; the execution id is the run id. The link to the
   * workflow and `workflow.execution_started` commit with the run itself, so a reader that sees
   * the event also finds the link (the workflow socket and the assignment consumer rely on it).
   *
   * With `coordination.max_concurrent_executions`, the same transaction locks the workflow's
   * row before counting its unfinished executions: a second execute waits for the first to
   * commit (or roll back), then counts again and sees its link, so two racing calls cannot both
   * take the last slot. Refusing throws inside the transaction, which rolls the new run back:
   * no slot is reserved apart from the run, so nothing can be left reserved by a crash.
   */
  async execute(id: string, body: unknown, submittedBy: string | null) {
    const workflow = await this.get(id);
    const request = readExecuteRequest(body);
    const { run } = await this.factory.create({
      definition: { name: workflow.name, version: workflow.version },
      input: request.input,
      timeoutSeconds: request.timeoutSeconds,
      metadata: { workflow_id: workflow.id },
      submittedBy,
      inTransaction: async (tx, run) => {
        await this.assertSlotFree(workflow, tx);
        await this.workflows.addExecution(workflow.id, run.id, tx);
        await this.events.append(tx, [{
          runId: run.id,
          type: 'workflow.execution_started',
          data: {
            workflowId: workflow.id,
            executionId: run.id,
            definition: { id: workflow.definitionId, name: workflow.name, version: workflow.version },
            agents: workflow.translation.hints.agents.map((a) => ({ type: a.type, count: a.count })),
          },
        }]);
      },
    });
    return { workflow, run };
  }

  /** A 409 naming the running executions when the workflow's limit is reached. */
  private async assertSlotFree(workflow: StoredWorkflow, tx: Transaction): Promise<void> {
    const max = workflow.translation.hints.max_concurrent_executions;
    if (max === undefined) return;
    if (!(await this.workflows.lockForExecution(workflow.id, tx))) throw BatonError.notFound('workflow', workflow.id);
    // The run table is the authority; the links only narrow the question. Those found ended
    // are marked under the same row lock, so each finished execution is looked at once.
    const candidates = await this.workflows.unfinishedRunIds(workflow.id, tx);
    const running = await this.runs.openAmong(candidates, tx);
    const open = new Set(running);
    await this.workflows.markFinished(candidates.filter((runId) => !open.has(runId)), tx);
    if (running.length < max) return;
    throw new BatonError(
      'invalid_state',
      `workflow ${workflow.id} allows ${max} execution${max === 1 ? '' : 's'} at a time (coordination.max_concurrent_executions) and ${running.length} ${running.length === 1 ? 'is' : 'are'} not finished: ${running.join(', ')}`,
      { code: EXECUTION_LIMIT_REACHED, running_executions: running, max_concurrent_executions: max },
    );
  }

  /** The latest execution's run with its steps, or undefined before the first. */
  async latestRun(id: string): Promise<{ workflow: StoredWorkflow; run?: RunWithSteps }> {
    const workflow = await this.get(id);
    const runId = await this.workflows.latestRunId(id);
    return { workflow, run: runId ? await this.runs.get(runId) : undefined };
  }

  /**
   * Pauses the latest execution (a 409 when there is none running) and names the checkpoint
   * the durable consumer records for it: the id comes from the `run.paused` event's seq, read
   * right after pausing. Were the run resumed and paused again in between, this names the
   * later pause's checkpoint, which is just as real.
   */
  async pause(id: string, actor: RunActor): Promise<{ run: Run; checkpointId: string }> {
    const runId = await this.workflows.latestRunId((await this.get(id)).id);
    if (!runId) throw new BatonError('invalid_state', `workflow ${id} has no execution to pause`);
    const run = await this.control.pause(runId, actor);
    const paused = await this.events.lastOfType(runId, 'run.paused');
    if (!paused) throw new Error(`run ${runId} was paused without a run.paused event`);
    return { run, checkpointId: checkpointIdOf(runId, paused.seq) };
  }
}

export { phaseOf } from './domain/phases.js';

function unprocessable(report: ValidationReport): HttpException {
  const summary = report.errors.slice(0, 5).map((e) => `${e.path}: ${e.message}`).join('; ');
  return new HttpException({ message: `the workflow is invalid: ${summary}`, details: { validation_report: report } }, HttpStatus.UNPROCESSABLE_ENTITY);
}
