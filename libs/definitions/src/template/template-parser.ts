/**
 * Parses `{{ expr }}` templates. Hand-written and tiny on purpose: expressions are data paths,
 * never code, so nothing here evaluates anything.
 *
 *   expr    := root segment*
 *   root    := input | steps | item | index | run | iteration | step
 *   segment := '.' name | '[' integer ']' | '[' quoted string ']'
 *
 * `steps` must continue with `.<id>.output`, `.<id>.status` or `.<id>.iterations`; `run`
 * only with `.id`; `index` and `iteration` take no segments; `step` (only in a `compensate`
 * block: the compensated step itself) with `.input` or `.output`.
 */

export type TemplateRoot = 'input' | 'steps' | 'item' | 'index' | 'run' | 'iteration' | 'step';
export type PathSegment = string | number;

export interface TemplateExpression {
  root: TemplateRoot;
  /** Segments after the root, e.g. `steps.fetch.output.items[0]` → ['fetch', 'output', 'items', 0]. */
  path: PathSegment[];
  /** For `steps.<id>...`: the referenced step id. */
  stepId?: string;
}

export type TemplatePart = { text: string } | { expr: TemplateExpression };

export interface ParsedTemplate {
  parts: TemplatePart[];
  /** True when the string is exactly one `{{ expr }}` (surrounding whitespace allowed): it yields the raw value. */
  raw: boolean;
}

/** A template that cannot be parsed; the definition validator turns it into a field error. */
export class TemplateSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateSyntaxError';
  }
}

const ROOTS = new Set<string>(['input', 'steps', 'item', 'index', 'run', 'iteration', 'step']);
const NAME = /^[A-Za-z_][A-Za-z0-9_-]*/;

/** True when `text` contains template syntax at all (cheap pre-check before parsing). */
export function hasTemplate(text: string): boolean {
  return text.includes('{{');
}

export function parseTemplate(text: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  let position = 0;
  while (position < text.length) {
    const open = text.indexOf('{{', position);
    if (open < 0) break;
    if (open > position) parts.push({ text: text.slice(position, open) });
    const close = text.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateSyntaxError(`unclosed "{{" at offset ${open}`);
    parts.push({ expr: parseExpression(text.slice(open + 2, close)) });
    position = close + 2;
  }
  if (position < text.length) parts.push({ text: text.slice(position) });
  const expressions = parts.filter((part) => 'expr' in part).length;
  const onlyWhitespaceAround = parts.every((part) => 'expr' in part || part.text.trim() === '');
  return { parts, raw: expressions === 1 && onlyWhitespaceAround };
}

export function parseExpression(source: string): TemplateExpression {
  const text = source.trim();
  if (text === '') throw new TemplateSyntaxError('empty expression "{{ }}"');
  const rootMatch = NAME.exec(text);
  if (!rootMatch || !ROOTS.has(rootMatch[0])) {
    throw new TemplateSyntaxError(
      `"${text}" must start with input, steps, item, index, run or iteration`,
    );
  }
  const root = rootMatch[0] as TemplateRoot;
  const path = parseSegments(text, rootMatch[0].length);
  return checkShape(text, root, path);
}

function parseSegments(text: string, start: number): PathSegment[] {
  const path: PathSegment[] = [];
  let i = start;
  while (i < text.length) {
    if (text[i] === '.') {
      const name = NAME.exec(text.slice(i + 1));
      if (!name) throw new TemplateSyntaxError(`"${text}": expected a name after "." at ${i}`);
      path.push(name[0]);
      i += 1 + name[0].length;
    } else if (text[i] === '[') {
      const bracket = /^\[\s*(?:(\d+)|'([^']*)'|"([^"]*)")\s*\]/.exec(text.slice(i));
      if (!bracket) throw new TemplateSyntaxError(`"${text}": expected [number] or ["key"] at ${i}`);
      path.push(bracket[1] !== undefined ? Number(bracket[1]) : (bracket[2] ?? bracket[3])!);
      i += bracket[0].length;
    } else {
      throw new TemplateSyntaxError(`"${text}": unexpected "${text[i]}" at ${i}`);
    }
  }
  return path;
}

function checkShape(text: string, root: TemplateRoot, path: PathSegment[]): TemplateExpression {
  if (root === 'steps') {
    const [stepId, field] = path;
    if (typeof stepId !== 'string' || (field !== 'output' && field !== 'status' && field !== 'iterations')) {
      throw new TemplateSyntaxError(`"${text}": use steps.<id>.output, steps.<id>.status or steps.<id>.iterations`);
    }
    if (field === 'status' && path.length > 2) {
      throw new TemplateSyntaxError(`"${text}": steps.<id>.status has no fields`);
    }
    return { root, path, stepId };
  }
  if (root === 'run' && (path.length !== 1 || path[0] !== 'id')) {
    throw new TemplateSyntaxError(`"${text}": only run.id is available`);
  }
  if (root === 'step' && path[0] !== 'input' && path[0] !== 'output') {
    throw new TemplateSyntaxError(`"${text}": use step.input or step.output`);
  }
  if ((root === 'index' || root === 'iteration') && path.length > 0) {
    throw new TemplateSyntaxError(`"${text}": ${root} is a number and has no fields`);
  }
  return { root, path };
}
