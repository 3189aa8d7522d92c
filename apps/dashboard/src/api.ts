/**
 * The dashboard's only way to the server: the public HTTP API, with the operator's token.
 * The token lives in sessionStorage (this tab, until it closes), never in localStorage.
 */
const TOKEN_KEY = 'baton.token';

export interface FieldError {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: FieldError[] = [],
  ) {
    super(message);
  }
}

/** null: not signed in; '' : signed in without a token (auth is off on this server). */
export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
  window.dispatchEvent(new Event('baton:auth'));
}

export function authHeaders(token = getToken()): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

export async function api<T>(method: string, path: string, body?: unknown, token = getToken()): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders(token) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let parsed: any = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (!response.ok) {
    if (response.status === 401 && token !== undefined && getToken() === token) {
      window.dispatchEvent(new Event('baton:unauthorized'));
    }
    const message = typeof parsed === 'object' && parsed?.message ? String(parsed.message) : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message, Array.isArray(parsed?.details) ? parsed.details : []);
  }
  return parsed as T;
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

// The API's objects, as far as the dashboard reads them (docs/api.md).
export type RunStatus = 'pending' | 'running' | 'waiting' | 'paused' | 'completed' | 'failed' | 'cancelled';
export type StepStatus = 'pending' | 'queued' | 'running' | 'waiting' | 'completed' | 'failed' | 'skipped' | 'cancelled';

export interface BatonErrorBody {
  message: string;
  code?: string;
  retryable?: boolean;
  attempt?: number;
  stepKey?: string;
  details?: unknown;
}

export interface Step {
  id: string;
  stepId: string;
  /** agent, orchestration, checkpoint; other branches add pattern and wait. */
  type: string;
  agent: string | null;
  status: StepStatus;
  dependsOn: string[];
  attempt: number;
  maxAttempts: number;
  input: unknown;
  output: unknown;
  error: BatonErrorBody | null;
  cache: { hit: boolean; hits: number; key: string | null; storedAt: string | null } | null;
  childRunId: string | null;
  lease: { owner: string; expiresAt: string } | null;
  queuedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** A pattern step (CONTRACTS.md): its pattern's name and its turns, in turn order. */
  pattern?: string;
  turns?: PatternTurn[];
  /** A looping step: the current iteration (from 1) and each one so far. */
  iteration?: number;
  iterations?: LoopIteration[];
  /** Why a skipped step was skipped: `condition` when its condition was false. */
  skip_reason?: string;
  /** `breaker_open` while parked because every agent that could serve it has an open breaker. */
  wait_reason?: string | null;
  /** The agent that served it (capability routing picks one at the claim). */
  served_by?: string | null;
  /** What its agent reported spending, summed over attempts and items (docs/budgets.md). */
  usage?: { tokens?: number; cost?: number } | null;
}

/** A run tree's budget (docs/budgets.md): the same on every run of the tree. */
export interface RunBudget {
  rootRunId: string;
  limits: { max_steps?: number; max_turns?: number; max_tokens?: number; max_cost?: number; max_wall_seconds?: number };
  spent: { steps: number; turns: number; tokens: number; cost: number; wall_seconds: number };
  on_exceed: 'fail' | 'pause' | 'ask' | string;
  /** Limits that passed 80 % (a `run.budget_warning` each). */
  warned: string[];
  /** The limit that stopped the tree, or null. */
  exceeded: string | null;
}

/** One turn of a pattern step, as `GET /api/v1/runs/:id` lists it. */
export interface PatternTurn {
  turn: number;
  agent: string;
  status: string;
  attempt: number;
  cache_hit: boolean;
  input: unknown;
  output: unknown;
  error: BatonErrorBody | null;
  started_at: string | null;
  finished_at: string | null;
}

/** One iteration of a looping step. */
export interface LoopIteration {
  iteration: number;
  status: string;
  input: unknown;
  output: unknown;
  error: BatonErrorBody | null;
  started_at: string | null;
  finished_at: string | null;
}

export interface Run {
  id: string;
  status: RunStatus;
  definition: { id: string; name: string; version: string };
  owner: string;
  input: unknown;
  output: unknown;
  error: BatonErrorBody | null;
  metadata: unknown;
  parentRunId: string | null;
  parentStepId: string | null;
  progress: { done: number; total: number; percent: number; current?: string[] };
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
  /** null when the run's tree has no budget. */
  budget?: RunBudget | null;
  steps?: Step[];
}

export interface Approval {
  id: string;
  runId: string;
  stepId: string;
  attempt: number;
  kind: 'checkpoint' | 'failure' | 'agent_input' | 'budget' | 'compensation';
  round: number;
  status: 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';
  prompt: string | null;
  payload: unknown;
  allowEdit: boolean;
  schema: JsonSchema | null;
  onTimeout: string | null;
  expiresAt: string | null;
  decision: string | null;
  comment: string | null;
  decidedPayload: unknown;
  decidedBy: { id?: string; name: string; role?: string } | null;
  decidedAt: string | null;
  createdAt: string;
}

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
}

export interface Agent {
  id: string;
  name: string;
  kind: string;
  url: string | null;
  capabilities: string[];
  maxConcurrency: number | null;
  timeoutSeconds: number | null;
  /** Header names only: the API never returns their values. */
  headers: string[] | null;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface DefinitionStepSpec {
  id: string;
  type?: string;
  agent?: string;
  capability?: string;
  depends_on?: string[];
  for_each?: string;
  description?: string;
  /** A `type: wait` step: the event it waits for. */
  event?: string;
}

export interface Definition {
  id: string;
  owner: string;
  name: string;
  version: string;
  revision: number;
  description: string | null;
  source: string;
  stepCount: number;
  createdAt: string;
  definition: { name?: string; version?: string; description?: string; steps: DefinitionStepSpec[] };
}

/** One entry of `GET /api/v1/definitions/:name/versions` (newest first, no body). */
export interface DefinitionVersion {
  id: string;
  version: string;
  revision: number;
  description: string | null;
  contentHash: string;
  stepCount: number;
  createdAt: string;
}

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  active: boolean;
  builtin: boolean;
  runId: string | null;
  format: string;
  createdAt: string;
}

export interface Delivery {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  runId: string;
  seq: number;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
  deadAt: string | null;
}

export interface BatonEvent {
  runId: string;
  seq: number;
  position?: string;
  type: string;
  stepKey: string | null;
  data: Record<string, any> | null;
  createdAt: string;
  parentRunId?: string;
}

export interface Whoami {
  anonymous?: boolean;
  tokenId?: string;
  name?: string;
  role?: string;
}
