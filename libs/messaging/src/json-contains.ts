/**
 * Postgres `@>` for JSON values, in JS: objects contain a subset of keys (recursively), arrays
 * contain every element of the other array somewhere, scalars are equal. Used where matching
 * happens outside SQL (triggers), so a trigger and a wait agree on what `match` means.
 */
export function jsonContains(value: unknown, match: unknown): boolean {
  if (Array.isArray(match)) {
    if (!Array.isArray(value)) return false;
    return match.every((wanted) => value.some((element) => jsonContains(element, wanted)));
  }
  if (match !== null && typeof match === 'object') {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    const object = value as Record<string, unknown>;
    return Object.entries(match as Record<string, unknown>).every(([key, wanted]) => Object.hasOwn(object, key) && jsonContains(object[key], wanted));
  }
  return value === match;
}
