import type { NodeSelectorSpec } from '../definition.types.js';
import { Issues, child, describe, readObject } from './field-reader.js';

const SELECTOR_KEYS = ['labels', 'resources'] as const;

/**
 * A step's `node:` (issue 15): what the worker node that runs it must have. `labels` are
 * strings the node's labels must equal; `resources` are amounts (numbers ≥ 0) it must have
 * free. Meaningful only for `kind: worker` agents; other agents ignore it.
 */
export function readNodeSelector(value: unknown, path: string, issues: Issues): NodeSelectorSpec | undefined {
  if (value === undefined) return undefined;
  const obj = readObject(value, path, issues, SELECTOR_KEYS);
  if (!obj) return undefined;
  const labels: Record<string, string> = {};
  const resources: Record<string, number> = {};
  readMap(obj.labels, child(path, 'labels'), issues, (key, v, at) => {
    if (typeof v === 'string') labels[key] = v;
    else issues.add(at, `must be a string, got ${describe(v)}`);
  });
  readMap(obj.resources, child(path, 'resources'), issues, (key, v, at) => {
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) resources[key] = v;
    else issues.add(at, `must be a number >= 0, got ${JSON.stringify(v)}`);
  });
  return { labels, resources };
}

function readMap(value: unknown, path: string, issues: Issues, each: (key: string, value: unknown, path: string) => void): void {
  if (value === undefined) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return void issues.add(path, `must be an object, got ${describe(value)}`);
  for (const [key, v] of Object.entries(value)) {
    if (key.length === 0 || key.length > 128) issues.add(path, `keys must be 1 to 128 characters`);
    else each(key, v, child(path, key));
  }
}
