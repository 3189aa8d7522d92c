import { createHash } from 'node:crypto';

/** The UUID namespace of checkpoint ids (a fixed random UUID: changing it renames every checkpoint). */
const CHECKPOINT_NAMESPACE = '5b0c1f8e-3d7a-4c62-9e41-7a2d8f6b0c93';

/**
 * The id of the checkpoint taken when a run was paused: a name-based UUID (RFC 9562 v5) of the
 * run id and the `run.paused` event's seq. Derived, not random, so the pause answer (which
 * reads the seq right after pausing) and `workflow.checkpoint_created` (appended later by the
 * durable consumer, maybe on another instance) name the same checkpoint without sharing state.
 */
export function checkpointIdOf(runId: string, pausedSeq: number): string {
  const namespace = Buffer.from(CHECKPOINT_NAMESPACE.replaceAll('-', ''), 'hex');
  const hash = createHash('sha1').update(namespace).update(`${runId}:${pausedSeq}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50; // version 5
  hash[8] = (hash[8]! & 0x3f) | 0x80; // RFC variant
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
