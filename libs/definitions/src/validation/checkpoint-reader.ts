import { Ajv } from 'ajv';
import type { CheckpointSpec } from '../definition.types.js';
import { Issues, child, describe, readBoolean, readInteger, readObject, readString, type Json } from './field-reader.js';

const CHECKPOINT_KEYS = ['prompt', 'timeout_seconds', 'on_timeout', 'allow_edit', 'schema', 'payload', 'approvers', 'self_approval', 'min_approvals'] as const;
const APPROVER_KEYS = ['groups', 'users'] as const;
const MAX_APPROVERS = 100;
const MAX_QUORUM = 100;
const ON_TIMEOUT = ['reject', 'approve', 'fail'] as const;

// One compiler for checking that schemas compile; strict off so common keywords such as
// `format` or `examples` are accepted.
const ajv = new Ajv({ strict: false, allErrors: true });

/**
 * `checkpoint: { prompt, timeout_seconds?, on_timeout: reject | approve | fail (default fail),
 * allow_edit?, schema?, payload? }`. `payload` is a template for what the person reviews
 * (default: the upstream outputs); `schema` (JSON Schema) checks an edited payload.
 * Who decides (issue 13): `approvers: { groups?, users? }` (OIDC groups; subjects, emails or
 * `token:<name>`), `self_approval` (default true; false: the run's submitter may not approve),
 * `min_approvals` (default 1; a quorum of distinct deciders, one reject rejects).
 */
export function readCheckpoint(value: unknown, path: string, issues: Issues): CheckpointSpec | undefined {
  const obj = readObject(value ?? {}, path, issues, CHECKPOINT_KEYS);
  if (!obj) return undefined;
  const spec: CheckpointSpec = { onTimeout: 'fail', allowEdit: false };
  const prompt = readString(obj, 'prompt', path, issues, { maxLength: 10_000 });
  if (prompt !== undefined) spec.prompt = prompt;
  const timeout = readInteger(obj, 'timeout_seconds', path, issues);
  if (timeout !== undefined) spec.timeoutSeconds = timeout;
  if (obj.on_timeout !== undefined) {
    if (ON_TIMEOUT.includes(obj.on_timeout as (typeof ON_TIMEOUT)[number])) spec.onTimeout = obj.on_timeout as CheckpointSpec['onTimeout'];
    else issues.add(child(path, 'on_timeout'), `must be one of ${ON_TIMEOUT.join(', ')}`);
  }
  spec.allowEdit = readBoolean(obj, 'allow_edit', path, issues) ?? false;
  if (obj.schema !== undefined) readSchema(obj, path, issues, spec);
  if (obj.payload !== undefined) spec.payload = obj.payload;
  if (obj.approvers !== undefined) spec.approvers = readApprovers(obj.approvers, child(path, 'approvers'), issues);
  spec.selfApproval = readBoolean(obj, 'self_approval', path, issues) ?? true;
  const quorum = readInteger(obj, 'min_approvals', path, issues);
  if (quorum !== undefined && quorum > MAX_QUORUM) issues.add(child(path, 'min_approvals'), `must be at most ${MAX_QUORUM}`);
  else if (quorum !== undefined) spec.minApprovals = quorum;
  return spec;
}

function readApprovers(value: unknown, path: string, issues: Issues): { groups: string[]; users: string[] } | undefined {
  const obj = readObject(value, path, issues, APPROVER_KEYS);
  if (!obj) return undefined;
  const approvers = { groups: readNames(obj, 'groups', path, issues), users: readNames(obj, 'users', path, issues) };
  if (obj.groups !== undefined || obj.users !== undefined) {
    if (approvers.groups.length + approvers.users.length === 0) issues.add(path, 'must name at least one group or user');
  } else {
    issues.add(path, 'must have groups or users');
  }
  return approvers;
}

function readNames(obj: Json, key: string, path: string, issues: Issues): string[] {
  const value = obj[key];
  if (value === undefined) return [];
  const at = child(path, key);
  if (!Array.isArray(value)) {
    issues.add(at, `must be a list of names, got ${describe(value)}`);
    return [];
  }
  if (value.length > MAX_APPROVERS) {
    issues.add(at, `must have at most ${MAX_APPROVERS} entries`);
    return [];
  }
  value.forEach((item, index) => {
    if (typeof item !== 'string' || !/^\S{1,200}$/.test(item)) issues.add(child(at, index), 'must be 1-200 characters without whitespace');
  });
  return value.filter((item): item is string => typeof item === 'string');
}

function readSchema(obj: Json, path: string, issues: Issues, spec: CheckpointSpec): void {
  const at = child(path, 'schema');
  if (typeof obj.schema !== 'object' || obj.schema === null || Array.isArray(obj.schema)) {
    issues.add(at, 'must be a JSON Schema object');
    return;
  }
  try {
    ajv.compile(obj.schema);
    spec.schema = obj.schema as Record<string, unknown>;
  } catch (error) {
    issues.add(at, `is not a valid JSON Schema: ${(error as Error).message}`);
  }
}
