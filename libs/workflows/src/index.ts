/** The seed's workflow language and `/api/v1/workflows`, translated onto definitions and runs. */
export { WorkflowsModule } from './workflows.module.js';
export { WorkflowService } from './workflow.service.js';
export { translateWorkflow, RETRY_POLICIES, REPLICA_JOIN_AGENT } from './domain/translate-workflow.js';
export { WORKFLOW_PATTERNS, RETRY_POLICY_NAMES } from './domain/read-workflow.js';
export type { Translation, TranslateResult, ValidationReport, EstimatedResources, WorkflowAgent, WorkflowTask, RetryPolicyName } from './domain/workflow.types.js';
