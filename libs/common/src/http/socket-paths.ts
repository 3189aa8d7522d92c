/**
 * The WebSocket paths served on one HTTP server. Every socket server listens to the same
 * `upgrade` event; each takes its own path and must leave the others' alone, and an upgrade
 * that no server claims must be refused rather than left hanging. Each server registers its
 * matcher here at bootstrap, and refuses a stranger only when no registered matcher claims it,
 * so no server needs to know another's path.
 */
export class SocketPaths {
  private readonly matchers = new Set<(path: string) => boolean>();

  /** Claims the paths `match` accepts; returns the function that gives them up. */
  claim(match: (path: string) => boolean): () => void {
    this.matchers.add(match);
    return () => this.matchers.delete(match);
  }

  /** Whether some server on this HTTP server takes `path`. */
  isClaimed(path: string): boolean {
    for (const match of this.matchers) if (match(path)) return true;
    return false;
  }
}

const byServer = new WeakMap<object, SocketPaths>();

/** The registry of one HTTP server (one per server, so test apps in one process stay apart). */
export function socketPathsOf(server: object): SocketPaths {
  let paths = byServer.get(server);
  if (!paths) byServer.set(server, (paths = new SocketPaths()));
  return paths;
}
