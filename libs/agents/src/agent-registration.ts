import { BatonError, urlDeniedMessage, type EgressPolicy, type FieldError } from '@baton/common';
import type { AgentRegistration } from './agent.repository.js';
import type { BreakerSettings } from './agent.types.js';
import { BUILTIN_PREFIX } from './builtin-agents.js';

/** What a caller may send to register an agent; loosely typed because it may come from outside. */
export interface RegisterAgentInput {
  name: string;
  kind: string;
  url?: string;
  capabilities?: unknown[];
  maxConcurrency?: number;
  timeoutSeconds?: number;
  headers?: Record<string, unknown>;
  trustedOrigins?: unknown[];
  /** `{ failure_threshold?, reset_seconds?, half_open_max_calls? }` (issue 12). */
  breaker?: Record<string, unknown>;
}

/** Names end up in URL paths (`/api/v1/agents/:name`) and in definitions, so keep them plain. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const MAX_NAME_LENGTH = 128;
const MAX_CAPABILITY_LENGTH = 128;
/** RFC 9110 token characters: anything else would make fetch throw at call time. */
const HEADER_NAME_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers Baton sets on every call; letting an agent override them would break idempotency. */
const RESERVED_HEADER = /^(x-baton-.*|idempotency-key|content-type)$/i;
const MAX_TIMEOUT_SECONDS = 24 * 60 * 60;
const MAX_TRUSTED_ORIGINS = 20;

/**
 * Checks a registration and returns it normalised (capabilities trimmed and deduplicated,
 * trusted origins reduced to their origin). Collects every problem, each naming its field,
 * so one round trip shows them all. This is the rule for every caller; the HTTP DTO only
 * checks the shape before it gets here. With `egress`, a `url` whose host is a literal
 * address (or a name) the egress policy denies is refused now rather than at the first call.
 */
export function validateRegistration(input: RegisterAgentInput, egress?: EgressPolicy): AgentRegistration {
  const errors: FieldError[] = [];
  const fail = (path: string, message: string): void => void errors.push({ path, message });

  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (!name) fail('name', 'must be a non-empty string');
  else if (name.startsWith(BUILTIN_PREFIX)) fail('name', `must not start with "${BUILTIN_PREFIX}" (reserved for built-in agents)`);
  else if (name.length > MAX_NAME_LENGTH) fail('name', `must be at most ${MAX_NAME_LENGTH} characters`);
  else if (!NAME_PATTERN.test(name)) fail('name', 'may contain only letters, digits, ".", "_", "-" and ":"');

  if (input.kind === 'builtin') fail('kind', 'built-in agents are provided by Baton and cannot be registered');
  else if (input.kind !== 'http' && input.kind !== 'a2a' && input.kind !== 'worker') fail('kind', 'must be one of: http, a2a, worker');

  const url = typeof input.url === 'string' ? input.url.trim() : undefined;
  if ((input.kind === 'http' || input.kind === 'a2a') && !url) fail('url', `is required for ${input.kind} agents`);
  else if (url && input.kind === 'worker') fail('url', 'must be absent for worker agents: worker nodes pull their jobs');
  else if (url && !isHttpUrl(url)) fail('url', 'must be an absolute http:// or https:// URL');
  else if (url && egress) {
    const verdict = egress.checkUrl(url);
    if (!verdict.allowed) fail('url', urlDeniedMessage(url, verdict.reason));
  }

  const capabilities = checkCapabilities(input.capabilities ?? [], fail);
  checkPositiveInteger(input.maxConcurrency, 'maxConcurrency', Number.MAX_SAFE_INTEGER, fail);
  checkPositiveInteger(input.timeoutSeconds, 'timeoutSeconds', MAX_TIMEOUT_SECONDS, fail);
  const headers = checkHeaders(input.headers ?? {}, fail);
  const trustedOrigins = checkOrigins(input.trustedOrigins ?? [], fail);
  const breaker = checkBreaker(input.breaker, fail);

  if (errors.length > 0) throw BatonError.validation(errors);
  const registration: AgentRegistration = { name, kind: input.kind as 'http' | 'a2a' | 'worker', capabilities, headers, trustedOrigins };
  if (url) registration.url = url;
  if (input.maxConcurrency !== undefined) registration.maxConcurrency = input.maxConcurrency;
  if (input.timeoutSeconds !== undefined) registration.timeoutSeconds = input.timeoutSeconds;
  if (breaker) registration.breaker = breaker;
  return registration;
}

const BREAKER_FIELDS = {
  failure_threshold: ['failureThreshold', 1000],
  reset_seconds: ['resetSeconds', MAX_TIMEOUT_SECONDS],
  half_open_max_calls: ['halfOpenMaxCalls', 1000],
} as const;

/** `breaker`: only the three known fields, each a positive integer. */
function checkBreaker(value: unknown, fail: (path: string, message: string) => void): BreakerSettings | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    fail('breaker', 'must be an object with failure_threshold, reset_seconds and half_open_max_calls');
    return undefined;
  }
  const settings: BreakerSettings = {};
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    const known = BREAKER_FIELDS[key as keyof typeof BREAKER_FIELDS];
    if (!known) {
      fail(`breaker.${key}`, 'is not a breaker setting (failure_threshold, reset_seconds, half_open_max_calls)');
      continue;
    }
    const before = settings[known[0]];
    checkPositiveInteger(field, `breaker.${key}`, known[1], fail);
    if (typeof field === 'number' && Number.isInteger(field) && before === undefined) settings[known[0]] = field;
  }
  return settings;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Each entry must be an http(s) origin (no path, query or credentials); stored as `URL.origin`. */
function checkOrigins(values: unknown[], fail: (path: string, message: string) => void): string[] {
  if (!Array.isArray(values)) {
    fail('trustedOrigins', 'must be an array of origins such as "https://agent.example"');
    return [];
  }
  if (values.length > MAX_TRUSTED_ORIGINS) fail('trustedOrigins', `must list at most ${MAX_TRUSTED_ORIGINS} origins`);
  const result = new Set<string>();
  values.forEach((value, index) => {
    const path = `trustedOrigins[${index}]`;
    let url: URL | undefined;
    try {
      url = typeof value === 'string' && isHttpUrl(value.trim()) ? new URL(value.trim()) : undefined;
    } catch {
      url = undefined;
    }
    if (!url) fail(path, 'must be an http:// or https:// origin');
    else if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
      fail(path, 'must be an origin only (scheme, host and port), without path, query or credentials');
    } else result.add(url.origin);
  });
  return [...result];
}

function checkCapabilities(values: unknown[], fail: (path: string, message: string) => void): string[] {
  if (!Array.isArray(values)) {
    fail('capabilities', 'must be an array of strings');
    return [];
  }
  const result = new Set<string>();
  values.forEach((value, index) => {
    const text = typeof value === 'string' ? value.trim() : '';
    if (!text) fail(`capabilities[${index}]`, 'must be a non-empty string');
    else if (text.length > MAX_CAPABILITY_LENGTH) fail(`capabilities[${index}]`, `must be at most ${MAX_CAPABILITY_LENGTH} characters`);
    else result.add(text);
  });
  return [...result];
}

function checkPositiveInteger(
  value: unknown,
  path: string,
  max: number,
  fail: (path: string, message: string) => void,
): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    fail(path, `must be an integer between 1 and ${max}`);
  }
}

function checkHeaders(headers: Record<string, unknown>, fail: (path: string, message: string) => void): Record<string, string> {
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    fail('headers', 'must be an object of header names to string values');
    return {};
  }
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    const path = `headers.${key}`;
    if (!HEADER_NAME_PATTERN.test(key)) fail(path, 'is not a valid HTTP header name');
    else if (RESERVED_HEADER.test(key)) fail(path, 'is set by Baton on every call and cannot be configured');
    else if (typeof value !== 'string') fail(path, 'must be a string');
    else if (/[\r\n\0]/.test(value)) fail(path, 'must not contain line breaks or NUL');
    else result[key] = value;
  }
  return result;
}
