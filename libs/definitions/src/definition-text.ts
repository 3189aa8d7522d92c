import { canonicalCopy, sha256Hex } from '@baton/common';

/** What storing a definition needs from its body: the JSON for the `body` column and the content hash. */
export interface BodyText {
  /** The whole body as canonical JSON (keys sorted); jsonb keeps no key order, so nothing is lost. */
  json: string;
  /** See `hashBody`. */
  hash: string;
}

/**
 * Both texts from one canonical copy and one serialization of each top-level member: the
 * hashed text differs from the stored one only in `owner` (left out) and a numeric
 * `version` (as text), so a 10,000-step `steps` list is serialized once, not twice.
 */
export function bodyText(body: Record<string, unknown>): BodyText {
  const sorted = canonicalCopy(body) as Record<string, unknown>;
  const stored: string[] = [];
  const hashed: string[] = [];
  // Without an owner or a numeric version both texts are the same: joined once, not twice (722 KB at 10,000 steps).
  let same = true;
  for (const key of Object.keys(sorted)) {
    const member = sorted[key];
    const text = JSON.stringify(member);
    if (text === undefined) continue; // undefined and functions are dropped, as JSON.stringify drops them
    const entry = `${JSON.stringify(key)}:${text}`;
    stored.push(entry);
    if (key === 'owner') {
      same = false;
      continue;
    }
    if (key === 'version' && typeof member === 'number') {
      same = false;
      hashed.push(`"version":${JSON.stringify(String(member))}`);
    } else hashed.push(entry);
  }
  const json = `{${stored.join(',')}}`;
  return { json, hash: sha256Hex(same ? json : `{${hashed.join(',')}}`) };
}

/**
 * The content hash covers the whole body except `owner`, which is part of the key rather
 * than the content; `version` counts as text, so `1` and `"1"` are the same version. Equal
 * to `contentHash({ ...body, owner: undefined, version: String(version) })`, which is how
 * stored hashes were first computed.
 */
export function hashBody(body: Record<string, unknown>): string {
  return bodyText(body).hash;
}
