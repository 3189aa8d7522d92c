/** Baton's agent card, independent of the dialect; `card-v03.ts` and `card-v10.ts` render it. */
export interface SkillView {
  id: string;
  name: string;
  description: string;
  tags: string[];
  examples: string[];
}

export interface CardView {
  name: string;
  description: string;
  version: string;
  /** The JSON-RPC endpoint (`<base>/a2a`). */
  url: string;
  /** The v1.0 HTTP+JSON (REST) binding's base (`<base>/a2a/v1`). */
  restUrl: string;
  /** The v0.3 HTTP+JSON binding's base (`<base>/a2a/v0.3`; its routes start with `/v1/`). */
  restV03Url: string;
  documentationUrl: string;
  streaming: boolean;
  pushNotifications: boolean;
  skills: SkillView[];
  /** Tokens are required (auth is on): only then does the card declare `security`. */
  authRequired: boolean;
  /** When the card last changed: the newest saved definition, or the start of this process. */
  lastModified: Date;
  /** The authenticated extended card only: who the caller is and what it may do. */
  caller?: CallerView;
}

/** The caller as the extended card describes it (an extension's params). */
export interface CallerView {
  name: string;
  role: string | null;
  permissions: string[];
  /** Which tasks it may read, stream, cancel and continue. */
  tasks: 'all' | 'own';
  /** Which checkpoints it may decide by continuing a task. */
  decisions: 'all' | 'agent_input of its own tasks';
}

/** The extension that carries `CallerView` on the extended card. */
export const CALLER_EXTENSION_URI = 'urn:baton:a2a:caller:v1';

export function callerExtension(caller: CallerView): { uri: string; description: string; required: boolean; params: Record<string, unknown> } {
  return {
    uri: CALLER_EXTENSION_URI,
    description: 'Who the caller is, as Baton authenticated it, and what it may do over A2A.',
    required: false,
    params: { ...caller },
  };
}

export const INPUT_MODES = ['application/json', 'text/plain'];
export const OUTPUT_MODES = ['application/json', 'text/plain'];

export const BEARER_DESCRIPTION =
  'A Baton API token (`Authorization: Bearer baton_...`). Submitting tasks needs the agent (or admin) role; an agent reads, cancels and continues only the tasks it submitted, and answers only the questions its step agents asked (human checkpoints need approvals.decide).';
