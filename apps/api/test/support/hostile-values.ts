/**
 * Seeded generators of hostile input for the fuzz test: the same seed gives the same
 * requests, so a failure can be replayed (`FUZZ_SEED=<n>`).
 */

/** mulberry32: a small, fast, seedable PRNG (good enough to pick test cases). */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Nested `[[[...]]]` or `{"a":{"a":...}}` as JSON text, built without recursion. */
export function deepJson(depth: number, kind: 'array' | 'object' = 'array'): string {
  return kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Strings that broke something once, or could: NUL, lone surrogates, huge, odd. */
export function hostileString(random: Random): string {
  return random.pick([
    () => 'a\u0000b',
    () => '\u0000',
    () => 'x\ud800y',
    () => '\udfff',
    () => 'x'.repeat(100_000 + random.int(1000)),
    () => '',
    () => ' ',
    () => '../../etc/passwd',
    () => "'; drop table orchestration_runs; --",
    () => '{{ steps.nope.output }}',
    () => '{{',
    () => '%00',
    () => '\u202e\ufeff',
    () => '🎉'.repeat(50),
    () => '__proto__',
    () => 'constructor',
    () => '1e309',
    () => String(random.int(1e9)),
  ])();
}

/** Any JSON value a client might send where something else is expected. */
export function hostileValue(random: Random, depth = 0): unknown {
  const choices: Array<() => unknown> = [
    () => hostileString(random),
    () => null,
    () => true,
    () => random.pick([0, -1, 1e308, -1e308, 2 ** 53 + 1, 2 ** 31, 1.5, -0, 9_007_199_254_740_993_000]),
    () => [],
    () => ({}),
    () => JSON.parse(deepJson(50 + random.int(100))),
    () => JSON.parse('{"__proto__": {"polluted": true}}'),
    () => JSON.parse('{"constructor": {"prototype": {"polluted": true}}}'),
  ];
  if (depth < 2) {
    choices.push(() => [hostileValue(random, depth + 1), hostileValue(random, depth + 1)]);
    choices.push(() => ({ [hostileString(random).slice(0, 50)]: hostileValue(random, depth + 1) }));
  }
  return random.pick(choices)();
}

/**
 * A copy of `template` with some fields replaced by hostile values, some removed, and
 * sometimes an extra (or `__proto__`) key.
 */
export function mutate(template: unknown, random: Random): unknown {
  if (random.chance(0.1)) return hostileValue(random);
  if (template === null || typeof template !== 'object') return random.chance(0.4) ? hostileValue(random) : template;
  if (Array.isArray(template)) return template.map((item) => mutate(item, random));
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (random.chance(0.08)) continue;
    result[key] = random.chance(0.5) ? mutate(value, random) : value;
  }
  if (random.chance(0.15)) Object.defineProperty(result, '__proto__', { value: { polluted: true }, enumerable: true, writable: true, configurable: true });
  if (random.chance(0.1)) result[hostileString(random).slice(0, 40)] = hostileValue(random);
  return result;
}

/** A path segment: sometimes valid, usually hostile, always percent-encoded as a client would. */
export function hostileSegment(random: Random, valid: string[]): string {
  if (valid.length > 0 && random.chance(0.3)) return encodeURIComponent(random.pick(valid));
  return random.pick([
    () => '%00',
    () => `abc%00def`,
    () => '%ED%A0%80', // a lone surrogate, UTF-8 encoded (invalid UTF-8)
    () => '%FF%FE',
    () => '%', // a bad percent escape
    () => '%E0%A4',
    () => 'x'.repeat(5000),
    () => '00000000-0000-0000-0000-000000000000',
    () => '00000000-0000-0000-0000-00000000000%00',
    () => encodeAny(hostileString(random).slice(0, 200)),
    () => '..%2F..%2Fetc',
    () => String(random.int(1e6)),
  ])();
}

/** A query string of the usual keys with hostile values (sometimes repeated, as arrays). */
export function hostileQuery(random: Random): string {
  const keys = ['limit', 'cursor', 'status', 'owner', 'definition', 'after', 'types', 'runId', 'capability', 'access_token', '__proto__', 'a[b][c]'];
  const parts: string[] = [];
  const count = random.int(4);
  for (let i = 0; i < count; i++) {
    const key = random.pick(keys);
    const value = random.pick([
      () => '%00',
      () => '%ED%A0%80',
      () => '%',
      () => '-1',
      () => '1e309',
      () => '99999999999999999999999',
      () => 'x'.repeat(3000),
      () => encodeAny(hostileString(random).slice(0, 100)),
      () => 'pending',
      () => '5',
    ])();
    parts.push(`${key}=${value}`);
    if (random.chance(0.2)) parts.push(`${key}=${value}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** YAML definitions that attack the parser: alias bombs, self and undefined aliases, depth. */
export function hostileYaml(random: Random): string {
  return random.pick([
    () => billionLaughs(9),
    () => 'name: a\nversion: "1"\nsteps: &s [*s]\n',
    () => 'name: a\nversion: "1"\nsteps: *nope\n',
    () => 'name: &n a\nversion: "1"\nsteps:\n  - id: *n\n    agent: builtin:echo\n    input: &i { x: *i }\n',
    () => `name: a\nversion: "1"\nsteps: ${'['.repeat(3000)}${']'.repeat(3000)}\n`,
    () => `name: a\nversion: "1"\nsteps:\n${'  - '.repeat(1)}${'{a: '.repeat(2000)}1${'}'.repeat(2000)}\n`,
    () => 'name: "a\\0b"\nversion: "1"\nsteps: [{id: s, agent: "builtin:echo"}]\n',
    () => 'name: "a\\ud800"\nversion: "1"\nsteps: [{id: s, agent: "builtin:echo"}]\n',
    () => 'name: a\nname: b\n',
    () => '!!binary aGVsbG8=',
    () => '- just\n- a list\n',
    () => '"\\ud800"',
    () => ':\n  - : :\n',
    () => 'a: !!js/function "function(){}"\n',
    () => '\u0000',
  ])();
}

/** The classic exponential alias expansion, `levels` deep. */
export function billionLaughs(levels: number): string {
  const lines = ['name: lol', 'version: "1"', 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i <= levels; i++) {
    lines.push(`a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(',')}]`);
  }
  lines.push(`steps: [{id: s, agent: "builtin:echo", input: *a${levels}}]`);
  return lines.join('\n') + '\n';
}

/**
 * Percent-encodes any string, lone surrogates included (as their 3-byte "WTF-8" form, which
 * is invalid UTF-8), where encodeURIComponent would throw.
 */
export function encodeAny(text: string): string {
  let result = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) {
      result += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join('');
    } else {
      result += encodeURIComponent(char);
    }
  }
  return result;
}
