import { BatonError, type FieldError } from '@baton/common';
import { assertCron, type DstPolicy } from './fire-times.js';
import { isValidTimeZone } from './zoned-time.js';
import { DST_POLICIES, OVERLAP_POLICIES, type OverlapPolicy, type ScheduleInput, type ScheduleTarget, type ScheduleTiming } from './schedule.types.js';

const FIELDS = new Set([
  'name', 'definition', 'plan', 'input', 'cron', 'interval', 'at', 'timezone', 'start_at', 'end_at',
  'jitter_seconds', 'overlap', 'catchup_window_seconds', 'pause_on_failure', 'dst', 'note',
]);
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const MAX_NOTE = 2000;

/**
 * Validates a schedule body (HTTP or the bootstrap file) and normalises it. Every problem is
 * reported with its field, prefixed by `at` (the bootstrap file passes `schedules[2]`). With
 * `base`, the body is a PATCH: absent fields keep the base's values.
 */
export function parseScheduleInput(body: unknown, at = '', base?: ScheduleInput): ScheduleInput {
  const errors: FieldError[] = [];
  const path = (field: string) => (at ? `${at}.${field}` : field);
  const fail = (field: string, message: string) => errors.push({ path: path(field), message });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw BatonError.validation([{ path: at || 'body', message: 'must be an object' }]);
  }
  const raw = body as Record<string, unknown>;
  for (const key of Object.keys(raw)) if (!FIELDS.has(key)) fail(key, 'is not a schedule field');
  const has = (key: string) => raw[key] !== undefined;

  const name = has('name') ? raw.name : base?.name;
  if (typeof name !== 'string' || !NAME.test(name)) fail('name', 'must be 1-100 letters, digits, ".", "_" or "-"');

  const target = parseTarget(raw, base?.target, fail);
  const timing = parseTiming(raw, base?.timing, fail);
  const timezone = has('timezone') ? raw.timezone : (base?.timezone ?? 'UTC');
  if (typeof timezone !== 'string' || !isValidTimeZone(timezone)) fail('timezone', 'must be an IANA time zone such as Europe/Paris');

  const startAt = has('start_at') ? parseDate(raw.start_at, 'start_at', fail, true) : (base?.startAt ?? null);
  const endAt = has('end_at') ? parseDate(raw.end_at, 'end_at', fail, true) : (base?.endAt ?? null);
  if (startAt && endAt && endAt <= startAt) fail('end_at', 'must be after start_at');

  const jitterSeconds = intField(raw, 'jitter_seconds', base?.jitterSeconds ?? 0, 0, 86_400, fail);
  const catchupWindowSeconds = intField(raw, 'catchup_window_seconds', base?.catchupWindowSeconds ?? 60, 0, 31_536_000, fail);
  const overlap = enumField(raw, 'overlap', OVERLAP_POLICIES, base?.overlap ?? 'skip', fail) as OverlapPolicy;
  const dst = enumField(raw, 'dst', DST_POLICIES, base?.dst ?? 'run_once', fail) as DstPolicy;
  const pauseOnFailure = has('pause_on_failure') ? raw.pause_on_failure : (base?.pauseOnFailure ?? false);
  if (typeof pauseOnFailure !== 'boolean') fail('pause_on_failure', 'must be true or false');
  const note = has('note') ? raw.note : (base?.note ?? null);
  if (note !== null && (typeof note !== 'string' || note.length > MAX_NOTE)) fail('note', `must be a string of at most ${MAX_NOTE} characters`);
  const input = has('input') ? raw.input : (base?.input ?? {});

  if (errors.length > 0) throw BatonError.validation(errors);
  return {
    name: name as string,
    target: target!,
    input,
    timing: timing!,
    timezone: timezone as string,
    startAt,
    endAt,
    jitterSeconds,
    overlap,
    catchupWindowSeconds,
    pauseOnFailure: pauseOnFailure as boolean,
    dst,
    note: note as string | null,
  };
}

type Fail = (field: string, message: string) => void;

function parseTarget(raw: Record<string, unknown>, base: ScheduleTarget | undefined, fail: Fail): ScheduleTarget | undefined {
  const { definition, plan } = raw;
  if (definition === undefined && plan === undefined) {
    if (base) return base;
    fail('definition', 'give exactly one of definition or plan');
    return undefined;
  }
  if (definition !== undefined && plan !== undefined) {
    fail('definition', 'give exactly one of definition or plan');
    return undefined;
  }
  if (plan !== undefined) {
    if (typeof plan !== 'object' || plan === null || Array.isArray(plan)) fail('plan', 'must be an object');
    return { plan: plan as Record<string, unknown> };
  }
  const ref = typeof definition === 'string' ? { name: definition } : definition;
  if (typeof ref !== 'object' || ref === null || typeof (ref as { name?: unknown }).name !== 'string') {
    fail('definition', 'must be a definition name or { name, version?, owner? }');
    return undefined;
  }
  const { name, version, owner } = ref as Record<string, unknown>;
  if (version !== undefined && typeof version !== 'string' && typeof version !== 'number') fail('definition.version', 'must be a string or number');
  if (owner !== undefined && typeof owner !== 'string') fail('definition.owner', 'must be a string');
  return {
    definition: {
      name: name as string,
      ...(version !== undefined ? { version: String(version) } : {}),
      ...(typeof owner === 'string' ? { owner } : {}),
    },
  };
}

function parseTiming(raw: Record<string, unknown>, base: ScheduleTiming | undefined, fail: Fail): ScheduleTiming | undefined {
  const given = ['cron', 'interval', 'at'].filter((key) => raw[key] !== undefined);
  if (given.length === 0) {
    if (base) return base;
    fail('cron', 'give exactly one of cron, interval or at');
    return undefined;
  }
  if (given.length > 1) {
    fail(given[1]!, 'give exactly one of cron, interval or at');
    return undefined;
  }
  if (raw.cron !== undefined) {
    if (typeof raw.cron !== 'string') return void fail('cron', 'must be a cron expression');
    try {
      assertCron(raw.cron);
    } catch (error) {
      return void fail('cron', `is not a cron expression: ${(error as Error).message}`);
    }
    return { cron: raw.cron };
  }
  if (raw.interval !== undefined) {
    const seconds = typeof raw.interval === 'number' ? raw.interval : parseDuration(raw.interval);
    if (seconds === null || !Number.isInteger(seconds) || seconds < 1) {
      return void fail('interval', 'must be whole seconds >= 1 or a duration such as "15m", "2h", "30s"');
    }
    return { intervalSeconds: seconds };
  }
  const at = parseDate(raw.at, 'at', fail, false);
  return at ? { at: at.toISOString() } : undefined;
}

function parseDuration(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const match = /^(\d+)(s|m|h|d)$/.exec(value.trim());
  if (!match) return null;
  return Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as 's' | 'm' | 'h' | 'd'];
}

function parseDate(value: unknown, field: string, fail: Fail, nullable: boolean): Date | null {
  if (value === null && nullable) return null;
  const date = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : null;
  if (!date || Number.isNaN(date.getTime()) || !/(Z|[+-]\d{2}:?\d{2})$/.test(value as string)) {
    fail(field, 'must be an ISO 8601 date-time with an offset, e.g. 2026-03-29T02:30:00+01:00');
    return null;
  }
  return date;
}

function intField(raw: Record<string, unknown>, field: string, fallback: number, min: number, max: number, fail: Fail): number {
  const value = raw[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(field, `must be an integer from ${min} to ${max}`);
    return fallback;
  }
  return value;
}

function enumField(raw: Record<string, unknown>, field: string, allowed: readonly string[], fallback: string, fail: Fail): string {
  const value = raw[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !allowed.includes(value)) {
    fail(field, `must be one of ${allowed.join(', ')}`);
    return fallback;
  }
  return value;
}
