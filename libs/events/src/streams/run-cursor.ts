/**
 * The resume point of a run's stream, which also carries its child runs. A run's own events
 * are numbered by `seq`, but a child's events interleave with its parent's in whatever order
 * they were read live, so one number cannot say which of them a client has. The cursor is
 * therefore a vector: the root's seq, plus the seq reached in each child run that was still
 * open, each child named by its path of `step.child_started` seqs from the root (`7` is the
 * child started by root event 7; `7/4` the grandchild started by that child's event 4).
 *
 * Text form: `12` or `12;7=3;7/4=0`. A child that the cursor's events started but that the
 * cursor does not list was delivered completely (its terminal event and all its descendants').
 * A run without children therefore always has plain `<seq>` ids.
 */
export interface RunCursor {
  root: number;
  /** path -> last seq delivered, for children still open. */
  open: Map<string, number>;
}

const PLAIN = /^\d{1,15}$/;
const ENTRY = /^(\d{1,15}(?:\/\d{1,15})*)=(\d{1,15})$/;

/** Parses a cursor; null when the text is not one. */
export function parseRunCursor(text: string): RunCursor | null {
  const [root, ...entries] = text.trim().split(';');
  if (root === undefined || !PLAIN.test(root)) return null;
  const open = new Map<string, number>();
  for (const entry of entries) {
    const match = ENTRY.exec(entry);
    if (!match) return null;
    open.set(match[1]!, Number(match[2]));
  }
  return { root: Number(root), open };
}

export function formatRunCursor(cursor: RunCursor): string {
  let text = String(cursor.root);
  for (const [path, seq] of cursor.open) text += `;${path}=${seq}`;
  return text;
}

/** The path of the child started by event `seq` of the run at `parentPath` ('' is the root). */
export function childPath(parentPath: string, seq: number): string {
  return parentPath ? `${parentPath}/${seq}` : String(seq);
}
