import { parseTemplate, type PathSegment, type TemplateExpression } from './template-parser.js';

/** What a step's templates can see when it runs. */
export interface TemplateContext {
  input: unknown;
  steps: Record<string, { output: unknown; status: string; iterations?: unknown[]; skipReason?: string | null } | undefined>;
  /** The current element of a `for_each` list. */
  item?: unknown;
  /** The position of `item` in the `for_each` list. */
  index?: number;
  run?: { id: string };
  /** In a looping step: the iteration being run, from 1. */
  iteration?: number;
  /** In a `compensate` block: the compensated step's own rendered input and output. */
  step?: { input: unknown; output: unknown };
}

/**
 * Renders every template string inside `value`, deep over arrays and objects (keys are left
 * alone). A string that is exactly one `{{ expr }}` yields the raw value (object, list,
 * number); otherwise expressions are interpolated, with non-strings JSON-stringified and
 * null/undefined as ''. A path that leads nowhere renders as undefined (raw) or '' rather than
 * throwing: upstream outputs are whatever agents returned. Syntax errors throw
 * TemplateSyntaxError, but definitions are validated before they can be rendered.
 */
export function renderTemplate(value: unknown, context: TemplateContext): unknown {
  if (typeof value === 'string') return renderString(value, context);
  if (Array.isArray(value)) return value.map((element) => renderTemplate(element, context));
  if (value !== null && typeof value === 'object') {
    const rendered: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) rendered[key] = renderTemplate(member, context);
    return rendered;
  }
  return value;
}

function renderString(text: string, context: TemplateContext): unknown {
  if (!text.includes('{{')) return text;
  const template = parseTemplate(text);
  if (template.raw) {
    const only = template.parts.find((part) => 'expr' in part) as { expr: TemplateExpression };
    return evaluate(only.expr, context);
  }
  let result = '';
  for (const part of template.parts) {
    result += 'text' in part ? part.text : stringify(evaluate(part.expr, context));
  }
  return result;
}

/** Resolves one expression against the context; missing paths give undefined. */
export function evaluate(expr: TemplateExpression, context: TemplateContext): unknown {
  switch (expr.root) {
    case 'input':
      return lookup(context.input, expr.path);
    case 'item':
      return lookup(context.item, expr.path);
    case 'index':
      return context.index;
    case 'iteration':
      return context.iteration;
    case 'run':
      return context.run?.id;
    case 'step':
      return lookup(context.step, expr.path);
    case 'steps': {
      const step = Object.hasOwn(context.steps, expr.stepId!) ? context.steps[expr.stepId!] : undefined;
      return lookup(step, expr.path.slice(1));
    }
  }
}

function lookup(value: unknown, path: PathSegment[]): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    // Own properties only: a template must not reach `__proto__` or `constructor`.
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment as string];
  }
  return current;
}

function stringify(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
