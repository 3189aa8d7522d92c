/**
 * Wall-clock arithmetic in an IANA zone, on top of `Intl` (the runtime's tz database). A wall
 * time is carried as a UTC `Date` whose fields are the local fields: `wall.getUTCHours()` is
 * the local hour. Cron patterns are matched on wall times; these helpers turn a wall time into
 * the instants it names: none (a spring-forward gap), one, or two (an autumn repeat).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, format);
  }
  return format;
}

/** Whether `zone` is an IANA zone name this runtime knows. */
export function isValidTimeZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall time of `instant` in `zone` (whole seconds). */
export function wallOf(zone: string, instant: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
}

/** The zone's offset from UTC at `instant`, in ms (Paris in summer: +7 200 000). */
export function offsetAt(zone: string, instant: number): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return wallOf(zone, whole) - whole;
}

const DAY = 86_400_000;

/**
 * The instants whose wall time in `zone` is `wall`, ascending: [] in a gap, two in a repeat.
 * Offsets a day either side cover every real transition (no zone changes twice in two days).
 */
export function instantsOf(zone: string, wall: number): number[] {
  const offsets = new Set([offsetAt(zone, wall - DAY), offsetAt(zone, wall), offsetAt(zone, wall + DAY)]);
  const found = new Set<number>();
  for (const offset of offsets) {
    const candidate = wall - offset;
    if (wallOf(zone, candidate) === wall) found.add(candidate);
  }
  return [...found].sort((a, b) => a - b);
}

/**
 * For a wall time inside a gap: the instant the clock reaches once the gap is over, shifted
 * by the gap's length (02:30 in a 02:00→03:00 gap is 03:30 local), as most schedulers do.
 */
export function shiftedOutOfGap(zone: string, wall: number): number {
  return wall - offsetAt(zone, wall - DAY);
}
