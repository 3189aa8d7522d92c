import { Injectable } from '@nestjs/common';
import type { Queryable } from '@baton/db';

/**
 * The advisory locks a claim takes, one per limit in force (issue 17). All are held for the
 * claim's transaction only. Keys: single bigint keys and (namespace, value) int pairs live in
 * separate spaces in Postgres, so the namespaces below never collide with the bigint keys.
 */

/**
 * The global limit (ORCHESTRATION_MAX_CONCURRENCY). Claims take it SHARED, so they do not
 * wait on each other; a claim that cannot prove it stays under the limit takes it EXCLUSIVE,
 * which waits for the claims under way and holds new ones back meanwhile.
 */
export const GLOBAL_CLAIM_LOCK_KEY = 7_362_010;
const GLOBAL_KEY = GLOBAL_CLAIM_LOCK_KEY;
/** Admission (MAX_CONCURRENT_WORKFLOWS), taken only when it is configured. */
const ADMISSION_KEY = 7_362_013;
/** (namespace, hashtext(agent)): one per agent whose slots or LRU order a claim reads. */
const AGENT_NAMESPACE = 7_362_011;
/**
 * (namespace, n): a shared claim announces the n global slots it may fill before it counts
 * the running steps. Locks are visible in pg_locks at once (rows only at commit), which is
 * what lets concurrent shared claims see each other's intent.
 */
export const RESERVATION_NAMESPACE = 7_362_012;

/**
 * SQL for a run's claim lock key from the SQL expression `id` (a run id): its first 64 bits.
 * Every statement that takes a run's claim lock must build the key the same way.
 */
export function runLockKey(id: string): string {
  return `('x' || substr(translate(${id}::text, '-', ''), 1, 16))::bit(64)::bigint`;
}

export interface Reservation {
  /** Running steps in the lock-free estimate. */
  running: number;
  /** Slots others had announced before this one. */
  reserved: number;
  /** Slots announced, or the non-positive estimate when none were. */
  want: number;
  /** Slots others have announced, read after this announcement. */
  others: number;
}

export interface ReservationRow {
  running: number;
  reserved: number;
  want: number;
  announced: number;
  others: number;
}

export function toReservation(row: ReservationRow | undefined): Reservation {
  const r = row ?? { running: 0, reserved: 0, want: 0, announced: 0, others: 0 };
  return { running: r.running, reserved: r.reserved, want: r.announced > 0 ? r.want : Math.min(r.want, 0), others: r.others };
}

/**
 * The lock-free estimate, the reservation it sizes, and the slots others have announced
 * once ours is, as CTEs (issue 17), for `estimateAndReserve` and for the hand-off's
 * candidates statement, which reserves as many slots as it finds steps: reads the running
 * steps and the announced slots without any lock, announces min(wanted, globalMax − both)
 * slots when that is positive (see RESERVATION_NAMESPACE), then reads pg_locks again.
 * `wanted`, `namespace` and `globalMax` are SQL (parameters); select `columns` (a
 * ReservationRow) `from`. `when` (SQL, uncorrelated) false: nothing is counted, read or
 * announced (a one-time filter skips the scans).
 *
 * The second read is a subquery correlated with the announcement's row, so it runs after
 * the lock is taken; pg_locks shows the lock table as it is then, not the statement's
 * snapshot. The running steps must still be counted by a later statement (a new snapshot):
 * a claim that commits between this read and that count is then either still announced
 * here or already visible to the count (Postgres makes a commit visible before it releases
 * the transaction's locks).
 */
export function reservationSql(
  wanted: string, namespace: string, globalMax: string, when = 'true',
): { ctes: string; columns: string; from: string } {
  const announced = (l: string) =>
    `${l}.locktype = 'advisory' and ${l}.classid = ${namespace}::int::oid and ${l}.objsubid = 2 and ${l}.granted and ${l}.pid <> pg_backend_pid()`;
  return {
    ctes: `est as materialized (
         select (select count(*)::int from orchestration_steps where status = 'running' and ${when}) as running,
                (select coalesce(sum(l.objid::bigint), 0)::int from pg_locks l where ${when} and ${announced('l')}) as reserved
       ), w as materialized (
         select running, reserved, least(${wanted}, ${globalMax}::int - running - reserved) as want from est
       ), a as materialized (
         select count(*)::int as announced from (select pg_advisory_xact_lock_shared(${namespace}::int, want) from w where want > 0) as r
       )`,
    columns: `w.running, w.reserved, w.want, a.announced,
              (select coalesce(sum(l.objid::bigint), 0)::int from pg_locks l where ${when} and ${announced('l')} and a.announced >= 0) as others`,
    from: 'w, a',
  };
}

@Injectable()
export class ClaimLocksRepository {
  async lockGlobal(mode: 'shared' | 'exclusive', tx: Queryable): Promise<void> {
    const fn = mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
    await tx.query(`select ${fn}($1::bigint)`, [GLOBAL_KEY]);
  }

  /** `lockAgents` without waiting (the hand-off); false when another claim holds one of them. */
  async tryLockAgents(agents: string[], tx: Queryable): Promise<boolean> {
    if (agents.length === 0) return true;
    const { rows } = await tx.query<{ ok: boolean }>(
      `select coalesce(bool_and(pg_try_advisory_xact_lock($1::int, k)), true) as ok
         from (select distinct hashtext(a) as k from unnest($2::text[]) as a order by 1) as keys`,
      [AGENT_NAMESPACE, agents],
    );
    return rows[0]?.ok === true;
  }

  async lockAdmission(tx: Queryable): Promise<void> {
    await tx.query('select pg_advisory_xact_lock($1::bigint)', [ADMISSION_KEY]);
  }

  /**
   * Locks these agents' keys in one fixed order (by key), so two claims wanting overlapping
   * agents never deadlock. Hash collisions only make unrelated agents share a lock.
   */
  async lockAgents(agents: string[], tx: Queryable): Promise<void> {
    if (agents.length === 0) return;
    await tx.query(
      `select count(pg_advisory_xact_lock($1::int, k))
         from (select distinct hashtext(a) as k from unnest($2::text[]) as a order by 1) as keys`,
      [AGENT_NAMESPACE, agents],
    );
  }

  /** The reservation protocol's first statement (`reservationSql`) on its own. */
  async estimateAndReserve(wanted: number, globalMax: number, tx: Queryable): Promise<Reservation> {
    const sql = reservationSql('$2::int', '$1', '$3');
    const { rows } = await tx.query<ReservationRow>(`with ${sql.ctes} select ${sql.columns} from ${sql.from}`, [RESERVATION_NAMESPACE, wanted, globalMax]);
    return toReservation(rows[0]);
  }
}
