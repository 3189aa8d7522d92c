import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every depth, so that equal values always serialize to the
 * same bytes. Cache keys and content hashes depend on this; `undefined` members are dropped
 * exactly as JSON.stringify drops them.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalCopy(value));
}

/**
 * `value` as `canonicalJson` serializes it: keys sorted at every depth, Dates as ISO text.
 * Subtrees already in that form are shared rather than copied (a 10,000-step definition's
 * `depends_on` lists, for one), so the result must not be mutated. JSON.stringify of the
 * result is byte for byte what copying everything would give: that is what stored content
 * hashes were computed from, so it must never change.
 */
export function canonicalCopy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const member = value[i];
      const canonical = canonicalCopy(member);
      if (copy) copy[i] = canonical;
      else if (canonical !== member) copy = [...value.slice(0, i), canonical];
    }
    return copy ?? value;
  }
  if (value instanceof Date) return value.toISOString();
  const keys = Object.keys(value);
  const sortedKeys = [...keys].sort();
  // Only plain objects are shared: JSON.stringify would call a class's own toJSON (a URL, a Buffer).
  const prototype = Object.getPrototypeOf(value);
  let changed = prototype !== Object.prototype && prototype !== null;
  const members = new Array<unknown>(sortedKeys.length);
  for (let i = 0; i < sortedKeys.length; i++) {
    const key = sortedKeys[i]!;
    const member = (value as Record<string, unknown>)[key];
    const canonical = member === undefined ? undefined : canonicalCopy(member);
    members[i] = canonical;
    // `__proto__` as an own key (JSON.parse makes one) is lost by the assignment below.
    if (canonical !== member || key !== keys[i] || key === '__proto__') changed = true;
  }
  if (!changed) return value;
  const sorted: Record<string, unknown> = {};
  for (let i = 0; i < sortedKeys.length; i++) {
    if (members[i] !== undefined) sorted[sortedKeys[i]!] = members[i];
  }
  return sorted;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** SHA-256 of the canonical JSON of `value`. */
export function contentHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
