import type { TriggerSpec } from '../definition.types.js';
import { scanTemplates } from '../template/template-scan.js';
import { Issues, child, describe, isObject, readObject, readString } from './field-reader.js';
import { EVENT_NAME_PATTERN, readCondition } from './wait-reader.js';

const TRIGGER_KEYS = ['event', 'match', 'when', 'input'] as const;
/** More would make every stored event a fan-out; a definition rarely needs more than a few. */
const MAX_TRIGGERS = 20;

/**
 * `triggers: [{ event, match?, when?, input? }]` (issue 14). `when` is a CEL condition over
 * `event` (`{ id, name, data, source }`). `input` is a template whose only root is
 * `input`, bound to the event `{ id, name, data, source }`; absent, the run's input is the
 * event's data. Returns the triggers (empty on any error; the issues say which).
 */
export function readTriggers(value: unknown, issues: Issues): TriggerSpec[] {
  if (!Array.isArray(value)) {
    issues.add('triggers', `must be a list, got ${describe(value)}`);
    return [];
  }
  if (value.length > MAX_TRIGGERS) {
    issues.add('triggers', `has ${value.length} triggers, more than ${MAX_TRIGGERS}`);
    return [];
  }
  const before = issues.errors.length;
  const triggers: TriggerSpec[] = [];
  value.forEach((element, index) => {
    const path = child('triggers', index);
    const obj = readObject(element, path, issues, TRIGGER_KEYS);
    if (!obj) return;
    const event = readString(obj, 'event', path, issues, { required: true, pattern: EVENT_NAME_PATTERN, patternHint: 'letters, digits, "_", ".", ":", "/" and "-", at most 200', maxLength: 200 });
    if (obj.match !== undefined && !isObject(obj.match)) issues.add(child(path, 'match'), `must be an object the event's data contains, got ${describe(obj.match)}`);
    const when = obj.when === undefined ? undefined : typeof obj.when === 'string' ? readCondition(obj.when, child(path, 'when'), ['event'], issues) : undefined;
    if (obj.when !== undefined && typeof obj.when !== 'string') issues.add(child(path, 'when'), `must be a CEL condition (string), got ${describe(obj.when)}`);
    if (obj.input !== undefined) {
      const scan = scanTemplates(obj.input, child(path, 'input'));
      for (const error of scan.errors) issues.add(error.path, error.message);
      for (const found of scan.expressions) {
        if (found.expr.root !== 'input') issues.add(found.path, `a trigger's input may only use input (the event), not ${found.expr.root}`);
      }
    }
    if (event !== undefined) {
      triggers.push({ event, match: isObject(obj.match) ? obj.match : {}, ...(when !== undefined && { when }), ...(obj.input !== undefined && { input: obj.input }) });
    }
  });
  return issues.errors.length === before ? triggers : [];
}

/** The triggers of a stored (already validated) definition body. */
export function triggersOf(body: Record<string, unknown>): TriggerSpec[] {
  return body.triggers === undefined ? [] : readTriggers(body.triggers, new Issues());
}
