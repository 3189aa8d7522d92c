import { parseTemplate, TemplateSyntaxError, type TemplateExpression } from './template-parser.js';

/** One expression found while scanning a JSON value, with the path of the string holding it. */
export interface FoundExpression {
  path: string;
  expr: TemplateExpression;
}

export interface TemplateScan {
  expressions: FoundExpression[];
  errors: Array<{ path: string; message: string }>;
}

/**
 * Walks a JSON value and parses every template string in it, recording each expression and
 * each syntax error under the caller's path (`steps[2].input.query`). Used by validation, so
 * it collects instead of throwing.
 */
export function scanTemplates(value: unknown, path: string, scan: TemplateScan = { expressions: [], errors: [] }): TemplateScan {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return scan;
    try {
      for (const part of parseTemplate(value).parts) {
        if ('expr' in part) scan.expressions.push({ path, expr: part.expr });
      }
    } catch (error) {
      if (!(error instanceof TemplateSyntaxError)) throw error;
      scan.errors.push({ path, message: `bad template: ${error.message}` });
    }
  } else if (Array.isArray(value)) {
    value.forEach((element, index) => scanTemplates(element, `${path}[${index}]`, scan));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, member] of Object.entries(value)) scanTemplates(member, memberPath(path, key), scan);
  }
  return scan;
}

function memberPath(path: string, key: string): string {
  const plain = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key);
  if (!path) return plain ? key : `[${JSON.stringify(key)}]`;
  return plain ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * The distinct step ids referenced by `steps.<id>...` expressions anywhere inside `value`,
 * in order of first appearance. Strings that do not parse are skipped (validation reports them).
 */
export function parseTemplateReferences(value: unknown): string[] {
  const ids = new Set<string>();
  for (const { expr } of scanTemplates(value, '').expressions) {
    if (expr.stepId !== undefined) ids.add(expr.stepId);
  }
  return [...ids];
}
