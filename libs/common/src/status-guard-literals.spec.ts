import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Every state transition is guarded by its aggregate's transition table (`status = any($n::text[])`
 * with the table's guard, see `state-machine.ts`). This spec reads the source of every library and
 * app and fails when an UPDATE, DELETE or upsert (`on conflict do update`) compares a status with a
 * literal (`status = 'x'`, `status <> 'x'`, `status in ('x', …)`, `status in ${LIST}`) instead of a
 * table-derived parameter. Assignments (`set status = 'x'`) are fine: the target is the move's `to`.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * Justified exceptions: file (from the repository root), a fragment of the offending line, and why.
 * Keep it near empty; a new entry needs a reason a reviewer would accept.
 */
const ALLOWED: ReadonlyArray<{ file: string; fragment: string; why: string }> = [
  {
    // `messages.status` is the send policy's verdict (accepted | denied), fixed at insert: it never
    // changes, so it has no transition table. Answering a request moves `answered_at`, and only an
    // accepted request may be answered.
    file: 'libs/messaging/src/message.repository.ts',
    fragment: `kind = 'request' and status = 'accepted' and answered_at is null`,
    why: 'a fixed verdict, not a state',
  },
];

const STATEMENT = /\b(update\s+\w+(\s+\w+)?\s+set|delete\s+from|do\s+update\s+set)\b/i;
// A status compared with a literal or an interpolated list; `(?<![\w.]_)` keeps `run_status` etc. out.
const LITERAL_GUARD = /(?<!\bset\s+|,\s*)\b(\w+\.)?status\s*(=|<>|!=)\s*'|\b(\w+\.)?status\s+(not\s+)?in\s*(\(\s*'|\$\{)/gi;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name.startsWith('dist') ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !/\.(int-)?spec\.ts$/.test(entry.name) ? [path] : [];
  });
}

/** Each template literal of a file with the line it starts on (SQL is always a template literal here). */
function templates(source: string): Array<{ text: string; line: number }> {
  const found: Array<{ text: string; line: number }> = [];
  const pattern = /`([^`]*)`/g;
  for (let m = pattern.exec(source); m; m = pattern.exec(source)) {
    found.push({ text: m[1]!, line: source.slice(0, m.index).split('\n').length });
  }
  return found;
}

/** `file:line: text` for each literal status guard in a statement that changes rows. */
export function literalStatusGuards(files: string[]): string[] {
  const offences: string[] = [];
  for (const path of files) {
    const file = relative(ROOT, path);
    for (const { text, line } of templates(readFileSync(path, 'utf8'))) {
      if (!STATEMENT.test(text)) continue;
      text.split('\n').forEach((sqlLine, i) => {
        if (!new RegExp(LITERAL_GUARD.source, 'i').test(sqlLine)) return;
        if (ALLOWED.some((a) => a.file === file && sqlLine.includes(a.fragment))) return;
        offences.push(`${file}:${line + i}: ${sqlLine.trim()}`);
      });
    }
  }
  return offences;
}

describe('status guards in SQL', () => {
  const files = ['libs', 'apps'].flatMap((dir) => sourceFiles(join(ROOT, dir)));

  it('reads the repositories it is meant to police', () => {
    expect(files.some((f) => f.endsWith(join('runs', 'src', 'repositories', 'step.repository.ts')))).toBe(true);
  });

  it('finds no UPDATE or DELETE guarded by a literal status: guards come from the transition tables', () => {
    expect(literalStatusGuards(files)).toEqual([]);
  });

  it('recognises a literal guard, and leaves an assignment or a table-derived guard alone', () => {
    const flagged = (sql: string) => new RegExp(LITERAL_GUARD.source, 'i').test(sql);
    expect(flagged(`where id = $1::uuid and status = 'running'`)).toBe(true);
    expect(flagged(`where s.status in ('queued', 'running')`)).toBe(true);
    expect(flagged('and r.status in ${FINISHED}')).toBe(true);
    expect(flagged(`and status <> 'removed'`)).toBe(true);
    expect(flagged(`set status = 'queued', lease_owner = null`)).toBe(false);
    expect(flagged(`lease_owner = null, status = 'queued'`)).toBe(false);
    expect(flagged(`where status = any($2::text[]) and run_status not in ('failed')`)).toBe(false);
  });

  it('keeps every allow-list entry in use, so a fixed exception does not linger', () => {
    const all = ['libs', 'apps'].flatMap((dir) => sourceFiles(join(ROOT, dir)));
    for (const allowed of ALLOWED) {
      const source = readFileSync(join(ROOT, allowed.file), 'utf8');
      expect([allowed.file, source.includes(allowed.fragment)]).toEqual([allowed.file, true]);
    }
    expect(all.length).toBeGreaterThan(0);
  });
});
