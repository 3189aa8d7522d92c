import type { DecisionInput } from '@baton/approvals';
import type { DefinitionRef } from '@baton/definitions';
import { isRecord, type SendParams } from '../protocol/dialect.js';
import { A2aRpcError } from '../rpc/a2a-rpc-error.js';

/** The generic skill: run the inline plan the message carries. */
export const PLAN_SKILL_ID = 'orchestrate-plan';

/** What a message asks for: a new run, or a decision on an existing task. */
export type MessageIntent =
  | {
      kind: 'create';
      definition?: DefinitionRef;
      plan?: Record<string, unknown>;
      input: unknown;
      /** The skill was guessed from a one-word text: the default definition may take it instead. */
      guessed?: boolean;
      /** Baton built the input from the message (text, files): it may add `previous`. */
      built?: boolean;
    }
  | { kind: 'continue'; taskId: string; decision?: DecisionInput };

/**
 * Reads a message (rules in docs/a2a.md):
 * - `taskId` set: continue that task; a data part `{ decision, payload?, comment? }` decides
 *   its open checkpoint.
 * - a data part `{ definition: name | { name, version? }, input? }`: run a saved definition.
 * - a data part `{ plan: {...}, input? }`: run an inline plan.
 * - otherwise a skill (= a definition name, or `orchestrate-plan`): from `metadata.skill`
 *   (the message's or the request's), else the text when it is one skill-like word. Its
 *   input is the data part's `input` key if it has one; otherwise Baton builds it: the data
 *   part's fields (or `{ text }`), with `text` and `files` when the message has them.
 * - otherwise (free text) the default definition (BATON_A2A_DEFAULT_DEFINITION), whose input
 *   is the whole message: `{ text, parts, data, messageId, contextId, metadata }`.
 */
export function readIntent(params: SendParams, defaultDefinition?: string): MessageIntent {
  const { message } = params;
  const dataIndex = message.parts.findIndex((part) => part.kind === 'data' && isRecord(part.data));
  const data = dataIndex >= 0 ? (message.parts[dataIndex] as { data: Record<string, unknown> }).data : undefined;
  const path = `params.message.parts[${dataIndex}].data`;
  const text = message.parts.flatMap((part) => (part.kind === 'text' ? [part.text] : [])).join('\n').trim();
  if (message.taskId) {
    return { kind: 'continue', taskId: message.taskId, decision: data && 'decision' in data ? readDecision(data, path) : undefined };
  }
  if (data && 'definition' in data) return { kind: 'create', definition: readRef(data.definition, `${path}.definition`), input: data.input ?? {} };
  if (data && 'plan' in data) return { kind: 'create', plan: readPlan(data.plan, `${path}.plan`), input: data.input ?? {} };
  const named = stringOr(message.metadata.skill) ?? stringOr(params.metadata.skill);
  const skill = named ?? (/^[\w.@/-]{1,200}$/.test(text) ? text : undefined);
  if (!skill) {
    if (defaultDefinition) return defaultIntent(params, defaultDefinition, text, data);
    throw A2aRpcError.invalidParams(
      'params.message',
      'this message names no skill, and no default skill is configured: name a definition (data part { definition: { name }, input }), ' +
        'carry a plan (data part { plan, input }), or ask for a skill by its id (metadata.skill, or the id alone as the text; the skills are on the agent card). ' +
        'The server may route free text to a default skill with BATON_A2A_DEFAULT_DEFINITION.',
    );
  }
  if (skill === PLAN_SKILL_ID) throw A2aRpcError.invalidParams('params.message.parts', `skill ${PLAN_SKILL_ID} needs a data part { plan, input }`);
  if (data && 'input' in data) return { kind: 'create', definition: refFromSkill(skill), input: data.input ?? {}, guessed: !named };
  // Baton builds the input: the data part's fields, and the text and files beside them.
  const files = message.parts.flatMap((part) => (part.kind === 'file' ? [part.file] : []));
  const input: Record<string, unknown> = data ? { ...data } : { text };
  if (data && text) input.text = text;
  if (files.length > 0) input.files = files;
  return { kind: 'create', definition: refFromSkill(skill), input, guessed: !named, built: true };
}

/** The default skill's run of a free-text (or any unnamed) message: the message is its input. */
export function defaultIntent(params: SendParams, definition: string, text: string, data: unknown): MessageIntent {
  const { message } = params;
  return {
    kind: 'create',
    definition: refFromSkill(definition),
    built: true,
    input: {
      text,
      parts: message.parts,
      data: data ?? null,
      files: message.parts.flatMap((part) => (part.kind === 'file' ? [part.file] : [])),
      messageId: message.messageId,
      contextId: message.contextId ?? null,
      metadata: { ...params.metadata, ...message.metadata },
    },
  };
}

/** `baton/create` and `baton/execute` params: the same fields as the data part, at the top. */
export function readCreateParams(params: unknown): Extract<MessageIntent, { kind: 'create' }> {
  if (!isRecord(params)) throw A2aRpcError.invalidParams('params', 'must be an object');
  if ('definition' in params) return { kind: 'create', definition: readRef(params.definition, 'params.definition'), input: params.input ?? {} };
  if ('plan' in params) return { kind: 'create', plan: readPlan(params.plan, 'params.plan'), input: params.input ?? {} };
  const skill = stringOr(params.skill);
  if (skill && skill !== PLAN_SKILL_ID) return { kind: 'create', definition: refFromSkill(skill), input: params.input ?? {} };
  throw A2aRpcError.invalidParams('params', 'give definition, plan or skill');
}

export function readDecision(data: Record<string, unknown>, path: string): DecisionInput {
  if (data.decision !== 'approve' && data.decision !== 'reject') throw A2aRpcError.invalidParams(`${path}.decision`, 'must be approve or reject');
  if (data.comment !== undefined && typeof data.comment !== 'string') throw A2aRpcError.invalidParams(`${path}.comment`, 'must be a string');
  const decision: DecisionInput = { decision: data.decision };
  if (data.comment !== undefined) decision.comment = data.comment as string;
  if (data.payload !== undefined) decision.payload = data.payload;
  return decision;
}

/** Skill ids are definition names, `owner/name` for a definition with an owner. */
export function skillIdOf(definition: { name: string; owner: string }): string {
  return definition.owner ? `${definition.owner}/${definition.name}` : definition.name;
}

function refFromSkill(skill: string): DefinitionRef {
  const slash = skill.indexOf('/');
  return slash > 0 ? { owner: skill.slice(0, slash), name: skill.slice(slash + 1) } : { name: skill };
}

function readRef(value: unknown, path: string): DefinitionRef {
  if (typeof value === 'string' && value) return { name: value };
  if (!isRecord(value) || typeof value.name !== 'string' || !value.name) throw A2aRpcError.invalidParams(`${path}.name`, 'is required');
  const ref: DefinitionRef = { name: value.name };
  if (value.version !== undefined && value.version !== null) {
    if (typeof value.version !== 'string' && typeof value.version !== 'number') throw A2aRpcError.invalidParams(`${path}.version`, 'must be a string or number');
    ref.version = String(value.version);
  }
  if (typeof value.owner === 'string') ref.owner = value.owner;
  return ref;
}

function readPlan(value: unknown, path: string): Record<string, unknown> {
  if (!isRecord(value)) throw A2aRpcError.invalidParams(path, 'must be an object');
  return value;
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}
