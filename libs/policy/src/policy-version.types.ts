/** Where a stored policy version came from. */
export type PolicySource = 'api' | 'file';

/** The name of the policy set shipped in the repository (never stored). */
export const DEFAULT_POLICY_VERSION = 'default';

/** One stored, immutable policy set. */
export interface PolicyVersion {
  id: string;
  /** 1, 2, 3, … in storing order. */
  version: number;
  /** SHA-256 hex of `body`. */
  hash: string;
  body: string;
  source: PolicySource;
  description: string | null;
  createdBy: string | null;
  createdAt: Date;
}

/** The active policy set: a stored version, or the shipped default (`version: 'default'`). */
export interface ActivePolicy {
  version: number | typeof DEFAULT_POLICY_VERSION;
  hash: string;
  body: string;
  activatedAt: Date | null;
  activatedBy: string | null;
  /** The activation's id: changes with every activation, even of the same version. */
  activationId: number;
}
