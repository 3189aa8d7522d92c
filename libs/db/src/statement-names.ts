/**
 * Names for the statements worth preparing on Postgres. node-postgres prepares a named
 * statement once per connection and afterwards sends only Bind and Execute, so the server
 * skips parsing and planning it (a claim or a completion is a handful of short statements
 * run thousands of times a second). A text is named the second time it is seen, so one-off
 * statements stay unnamed, and at most `maxNamed` texts are named: texts built at run time
 * (a batched insert's VALUES list grows with the batch) would otherwise grow every
 * connection's cache without end.
 */
export class StatementNames {
  private readonly names = new Map<string, string>();
  private readonly seenOnce = new Set<string>();
  /** Texts whose prepared form went stale (a migration changed what they read): never again. */
  private readonly refused = new Set<string>();
  private issued = 0;

  constructor(
    private readonly maxNamed = 500,
    /** Counting one-off texts stops here (they are forgotten and counted afresh). */
    private readonly maxCounted = 20_000,
  ) {}

  /** The name to prepare `sql` under, or undefined to send it unnamed. */
  nameFor(sql: string): string | undefined {
    const known = this.names.get(sql);
    if (known !== undefined || this.refused.has(sql)) return known;
    if (!this.seenOnce.has(sql)) {
      if (this.seenOnce.size >= this.maxCounted) this.seenOnce.clear();
      this.seenOnce.add(sql);
      return undefined;
    }
    if (this.names.size >= this.maxNamed) return undefined;
    this.seenOnce.delete(sql);
    const name = `baton_${++this.issued}`;
    this.names.set(sql, name);
    return name;
  }

  /** Sends `sql` unnamed from now on (its name is never reused, so no connection mixes them). */
  refuse(sql: string): void {
    this.refused.add(sql);
    this.names.delete(sql);
  }

  get size(): number {
    return this.names.size;
  }
}

/**
 * Postgres refuses a prepared statement whose result columns changed under it (a table it
 * reads gained or lost a column: a migration by another instance) with this error; the
 * statement then runs unnamed, and a transaction that met it runs again.
 */
export function isStalePreparedStatement(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e.code === '0A000' && /cached plan must not change result type/.test(e.message ?? '');
}
