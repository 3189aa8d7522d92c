import { BatonError } from '@baton/common';

/** A session: a run of a definition under an id the caller may choose, with its own metadata. */
export interface Session {
  id: string;
  owner: string;
  /** Null only between claiming the id and creating the run (a retry finishes it). */
  runId: string | null;
  metadata: Record<string, unknown>;
  requestHash: string;
  submittedBy: string | null;
  createdAt: Date;
}

export const SESSION_ACTIONS = ['pause', 'resume', 'cancel', 'signal'] as const;
export type SessionAction = (typeof SESSION_ACTIONS)[number];

/** Why a session request was refused (`details.code` of the `BatonError`). */
export enum SessionErrorCode {
  /** The id is taken in this owner by a session started with another request. */
  IdTaken = 'SESSION_ID_TAKEN',
  /** An all-owner caller named an id several owners use, without `?owner=`. */
  OwnerAmbiguous = 'SESSION_OWNER_AMBIGUOUS',
  /** `signal` found no step waiting for data. */
  NotWaiting = 'SESSION_NOT_WAITING',
}

export function sessionIdTaken(id: string): BatonError {
  return new BatonError('conflict', `session ${id} already exists with a different request; choose another id`, { code: SessionErrorCode.IdTaken });
}

export function sessionOwnerAmbiguous(id: string, owners: string[]): BatonError {
  return new BatonError('conflict', `session ${id} exists in several owners; name one with ?owner=`, {
    code: SessionErrorCode.OwnerAmbiguous,
    owners,
  });
}

/** Ids a caller may choose: safe in a URL path segment and in logs. */
export const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;
