/**
 * A transition table and the SQL guards derived from it. Each aggregate's `*-status.ts`
 * builds one; repositories put `guard(...)` into `where status = any($n::text[])`, so the
 * database refuses exactly what the table forbids.
 */
export interface StateMachine<S extends string> {
  readonly states: readonly S[];
  /** Whether the table allows `from → to`. */
  can(from: S, to: S): boolean;
  /**
   * The statuses a row may be in for an UPDATE to move it to `to`: every state the table
   * allows `to` from, narrowed to `only` when the statement is meant for fewer. A state in
   * `only` that the table forbids is dropped, never let through.
   */
  guard(to: S, only?: readonly S[]): S[];
}

export function stateMachine<S extends string>(table: Readonly<Record<S, readonly S[]>>): StateMachine<S> {
  const states = Object.keys(table) as S[];
  const can = (from: S, to: S): boolean => table[from].includes(to);
  return {
    states,
    can,
    guard: (to, only) => states.filter((from) => can(from, to) && (only === undefined || only.includes(from))),
  };
}
