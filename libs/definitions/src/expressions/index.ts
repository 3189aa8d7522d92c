/** CEL expressions (conditions, loop ends): compiled when a definition is stored, evaluated bounded. */
export { CORE_VARIABLES, EXTENSION_VARIABLES } from './cel-environment.js';
export {
  compileExpression,
  MAX_EXPRESSION_LENGTH,
  type CompiledExpression,
  type CompileOptions,
  type CompileResult,
} from './compile-expression.js';
export {
  evaluateExpression,
  evaluateCondition,
  ExpressionError,
  EXPRESSION_TIMEOUT_MS,
  MAX_RESULT_BYTES,
  type ExpressionContext,
} from './evaluate-expression.js';
