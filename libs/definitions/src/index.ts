/** Definitions: the format, its validation and planning, storage, templating and REST API. */
export * from './definition.types.js';
export * from './pattern.types.js';
export { FINISH, CHAT_UNTIL_VARIABLES } from './validation/pattern-reader.js';
export { DefinitionsModule, type DefinitionsModuleOptions } from './definitions.module.js';
export { OrchestrationDefinitionService, type DefinitionPage } from './definition.service.js';
export { hashBody } from './definition-text.js';
export { stepSpecOf } from './step-index.js';
export { BuiltinAgentCatalog, BUILTIN_AGENT_NAMES } from './builtin-agent-catalog.js';
export { parseDefinitionBody, DEFAULT_BODY_LIMITS, type DefinitionBodyLimits } from './definition-body.js';
export { findSelfStart, type DefinitionNode, type DefinitionLookup } from './validation/self-start-check.js';
export { loadExampleDefinitions } from './examples.js';
export {
  toDefinitionResponse,
  toDefinitionSummary,
  SUMMARY_ABOVE_STEPS,
  type DefinitionResponse,
  type DefinitionSummaryResponse,
} from './http/definition-response.js';
export {
  validateDefinition,
  normalizeDefinition,
  type NormalizedDefinition,
  type ValidateOptions,
  type ValidationResult,
  type AgentUse,
  DEFAULT_MAX_STEPS,
} from './validation/validate-definition.js';
export { DEFAULT_FAILURE_POLICY, DEFAULT_CACHE_POLICY } from './validation/policies.js';
export { readBudget, parseBudget, BUDGET_LIMITS } from './validation/budget-reader.js';
export { STEP_ID_PATTERN } from './validation/step-reader.js';
export { triggersOf } from './validation/trigger-reader.js';
export { planGraph, describeCycle, type GraphNode, type GraphPlan, type GraphResult } from './graph/step-graph.js';
export {
  parseTemplate,
  parseExpression,
  hasTemplate,
  TemplateSyntaxError,
  type ParsedTemplate,
  type TemplateExpression,
  type TemplatePart,
  type TemplateRoot,
  type PathSegment,
} from './template/template-parser.js';
export { renderTemplate, evaluate, type TemplateContext } from './template/template-render.js';
export { parseTemplateReferences, scanTemplates, type FoundExpression, type TemplateScan } from './template/template-scan.js';
export {
  compileExpression,
  evaluateExpression,
  evaluateCondition,
  ExpressionError,
  CORE_VARIABLES,
  EXTENSION_VARIABLES,
  MAX_EXPRESSION_LENGTH,
  EXPRESSION_TIMEOUT_MS,
  MAX_RESULT_BYTES,
  type CompiledExpression,
  type CompileOptions,
  type CompileResult,
  type ExpressionContext,
} from './expressions/index.js';
export { WHEN_VARIABLES, UNTIL_VARIABLES, MAX_LOOP_ITERATIONS } from './validation/control-flow-reader.js';
