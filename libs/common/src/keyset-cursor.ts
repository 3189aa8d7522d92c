import { BatonError } from './baton-error.js';

/** The position of a row in a (created_at, id) keyset: what list endpoints page by. */
export interface KeysetPosition {
  createdAt: string;
  id: string;
}

/** An opaque cursor for the row `{ createdAt, id }`: base64url of a small JSON pair. */
export function encodeKeysetCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

/** The position a cursor stands for; a 400 naming `cursor` when it is not one of ours. */
export function decodeKeysetCursor(cursor: string): KeysetPosition {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof createdAt !== 'string' || typeof id !== 'string' || Number.isNaN(Date.parse(createdAt))) throw new Error();
    return { createdAt, id };
  } catch {
    throw BatonError.validation([{ path: 'cursor', message: 'is not a cursor returned by this API' }]);
  }
}
