import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { BatonError, type FieldError } from '@baton/common';
import { OrchestrationDefinitionService, parseDefinitionBody } from '@baton/definitions';
import { OrchestrationRunFactoryService, RunControlService, RunQueryService, type RunActor, type RunWithSteps } from '@baton/runs';
import { translateWorkflow } from './domain/translate-workflow.js';
import { readExecuteRequest } from './domain/execute-request.js';
import { WorkflowRepository, type StoredWorkflow } from './workflow.repository.js';
import type { ValidationReport } from './domain/workflow.types.js';

/** What the status route shows, in the seed's terms, from the latest execution's run. */
const PHASES: Record<string, string> = {
  pending: 'planning',
  running: 'executing',
  waiting: 'executing',
  paused: 'paused',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};

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

  /** Starts a run of the workflow's definition; the execution id is the run id. */
  async execute(id: string, body: unknown, submittedBy: string | null) {
    const workflow = await this.get(id);
    const request = readExecuteRequest(body);
    const { run } = await this.factory.create({
      definition: { name: workflow.name, version: workflow.version },
      input: request.input,
      timeoutSeconds: request.timeoutSeconds,
      metadata: { workflow_id: workflow.id },
      submittedBy,
    });
    await this.workflows.addExecution(workflow.id, run.id);
    return { workflow, run };
  }

  /** The latest execution's run with its steps, or undefined before the first. */
  async latestRun(id: string): Promise<{ workflow: StoredWorkflow; run?: RunWithSteps }> {
    const workflow = await this.get(id);
    const runId = await this.workflows.latestRunId(id);
    return { workflow, run: runId ? await this.runs.get(runId) : undefined };
  }

  /** Pauses the latest execution (a 409 when there is none running). */
  async pause(id: string, actor: RunActor) {
    const runId = await this.workflows.latestRunId((await this.get(id)).id);
    if (!runId) throw new BatonError('invalid_state', `workflow ${id} has no execution to pause`);
    return this.control.pause(runId, actor);
  }
}

/** The seed's phase name for a run status. */
export function phaseOf(status: string | undefined): string {
  return status === undefined ? 'validated' : (PHASES[status] ?? status);
}

function unprocessable(report: ValidationReport): HttpException {
  const summary = report.errors.slice(0, 5).map((e) => `${e.path}: ${e.message}`).join('; ');
  return new HttpException({ message: `the workflow is invalid: ${summary}`, details: { validation_report: report } }, HttpStatus.UNPROCESSABLE_ENTITY);
}
