import type { FieldError } from '@baton/common';
import type { ASTNode, Environment } from '@marcbachmann/cel-js';
import { environmentFor } from './cel-environment.js';

/** Longest expression source accepted, in characters. */
export const MAX_EXPRESSION_LENGTH = 2048;

type Program = ReturnType<Environment['parse']>;

/** A parsed and type-checked CEL expression, ready for `evaluateExpression`. */
export interface CompiledExpression {
  readonly source: string;
  /** Where it was written (`steps[2].when`); runtime errors name it too. */
  readonly path: string;
  /** Step ids named as `steps.<id>` or `steps["<id>"]`. */
  readonly stepRefs: readonly string[];
  /** @internal the library's program; evaluate through `evaluateExpression`. */
  readonly program: Program;
}

export interface CompileOptions {
  /** Refuse an expression whose type is known and is not `bool` (conditions). */
  boolean?: boolean;
}

export type CompileResult = { ok: true; expression: CompiledExpression } | { ok: false; error: FieldError };

/**
 * Parses and type-checks `source` against the `declared` variable names (see
 * `CORE_VARIABLES`, `EXTENSION_VARIABLES`). Never throws for bad input: a syntax error, an
 * undeclared name or a type error comes back as one field error at `path`, e.g.
 * `steps[2].when: undeclared reference to 'stepz'`.
 */
export function compileExpression(source: string, path: string, declared: readonly string[], options: CompileOptions = {}): CompileResult {
  const fail = (message: string): CompileResult => ({ ok: false, error: { path, message } });
  if (typeof source !== 'string') return fail('must be a CEL expression (string)');
  if (source.trim() === '') return fail('must not be empty');
  if (source.length > MAX_EXPRESSION_LENGTH) return fail(`must be at most ${MAX_EXPRESSION_LENGTH} characters`);
  const env = environmentFor(declared);
  let program: Program;
  try {
    program = env.parse(source);
  } catch (error) {
    return fail(describeCelError(error, 'syntax error'));
  }
  const checked = env.check(source);
  if (!checked.valid) return fail(describeCelError(checked.error, 'type error'));
  if (options.boolean && checked.type !== 'bool' && checked.type !== 'dyn') {
    return fail(`must be a condition (bool), but its type is ${checked.type}`);
  }
  return { ok: true, expression: { source, path, stepRefs: stepReferences(program.ast), program } };
}

/** One line a person can act on: the library's summary, with the column it points at. */
function describeCelError(error: unknown, kind: string): string {
  const cel = error as { code?: string; summary?: string; message?: string; range?: { start: number } };
  const summary = cel?.summary ?? cel?.message ?? String(error);
  const unknown = /^Unknown variable: (.+)$/.exec(summary);
  if (cel?.code === 'unknown_variable' && unknown) return `undeclared reference to '${unknown[1]}'`;
  const at = cel?.range ? ` at column ${cel.range.start + 1}` : '';
  return `${kind}: ${summary.split('\n')[0]}${at}`;
}

function stepReferences(root: ASTNode): string[] {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object' || !('op' in node)) return;
    const ast = node as ASTNode;
    if ((ast.op === '.' || ast.op === '.?') && isSteps(ast.args[0])) found.add(ast.args[1]);
    if ((ast.op === '[]' || ast.op === '[?]') && isSteps(ast.args[0]) && ast.args[1].op === 'value' && typeof ast.args[1].args === 'string') {
      found.add(ast.args[1].args);
    }
    if (ast.op !== 'value' && ast.op !== 'id') visit(ast.args);
  };
  visit(root);
  return [...found];
}

function isSteps(node: ASTNode): boolean {
  return node.op === 'id' && node.args === 'steps';
}
