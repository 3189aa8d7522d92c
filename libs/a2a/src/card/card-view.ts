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
  /** How Baton signs its calls to agents, so an agent can verify them (issue 13). */
  callTokens: CallTokenView;
}

/** Where an agent finds the keys to verify Baton's call tokens (an extension's params). */
export interface CallTokenView {
  /** Baton's JWKS (`<base>/.well-known/jwks.json`). */
  jwksUri: string;
  /** The tokens' `iss` (BATON_PUBLIC_URL). */
  issuer: string;
  /** The request header a call token travels in. */
  header: string;
  algorithm: 'EdDSA';
}

/** The extension that carries `CallTokenView` on every card. */
export const CALL_TOKEN_EXTENSION_URI = 'urn:baton:a2a:call-token:v1';

export function callTokenExtension(view: CallTokenView): { uri: string; description: string; required: boolean; params: Record<string, unknown> } {
  return {
    uri: CALL_TOKEN_EXTENSION_URI,
    description: 'Baton signs each call it makes to an agent with a short-lived JWT (EdDSA) in this header; verify it against the JWKS.',
    required: false,
    params: { jwks_uri: view.jwksUri, issuer: view.issuer, header: view.header, algorithm: view.algorithm },
  };
}

/** The card's extensions: the caller (extended card only), then the call-token one. */
export function cardExtensions(card: CardView): ReturnType<typeof callTokenExtension>[] {
  return [...(card.caller ? [callerExtension(card.caller)] : []), callTokenExtension(card.callTokens)];
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
