import type { Artifact, Message, Part, TaskStatus } from '@a2a-js/sdk';

/**
 * How an A2A result becomes a step's output. The rules, in order:
 *
 * - Parts: a single part is its value — a data part's JSON, a text part's string, a file
 *   part as `{ url | raw (base64), mediaType, filename }`. Several parts that are all text are
 *   joined with newlines (agents often stream one answer in pieces). Any other mix is an array
 *   of the part values, in order.
 * - Artifacts: none is `null`; one is its parts as above; several are an object keyed by
 *   artifact name when every artifact has a distinct non-empty name, else an array of each
 *   artifact's parts-value, in order.
 * - A direct Message reply (no task) maps like one artifact made of the message's parts.
 */
export function artifactsToOutput(artifacts: readonly Artifact[]): unknown {
  if (artifacts.length === 0) return null;
  if (artifacts.length === 1) return partsToOutput(artifacts[0]!.parts);
  const names = artifacts.map((artifact) => artifact.name);
  if (names.every((name) => name) && new Set(names).size === names.length) {
    return Object.fromEntries(artifacts.map((artifact) => [artifact.name, partsToOutput(artifact.parts)]));
  }
  return artifacts.map((artifact) => partsToOutput(artifact.parts));
}

export function messageToOutput(message: Message): unknown {
  return partsToOutput(message.parts);
}

export function partsToOutput(parts: readonly Part[]): unknown {
  if (parts.length === 0) return null;
  if (parts.length === 1) return partValue(parts[0]!);
  if (parts.every((part) => part.content?.$case === 'text')) return parts.map(partValue).join('\n');
  return parts.map(partValue);
}

function partValue(part: Part): unknown {
  const content = part.content;
  switch (content?.$case) {
    case 'data':
      return content.value ?? null;
    case 'text':
      return content.value;
    case 'url':
      return fileValue(part, { url: content.value });
    case 'raw':
      return fileValue(part, { raw: Buffer.from(content.value).toString('base64') });
    default:
      return null;
  }
}

function fileValue(part: Part, body: Record<string, string>): Record<string, string> {
  return { ...body, ...(part.mediaType ? { mediaType: part.mediaType } : {}), ...(part.filename ? { filename: part.filename } : {}) };
}

/** The text of a status message (the agent's reason or question), or `undefined`. */
export function statusText(status: TaskStatus | undefined): string | undefined {
  const parts = status?.message?.parts ?? [];
  const texts = parts.flatMap((part) => (part.content?.$case === 'text' ? [part.content.value] : []));
  if (texts.length > 0) return texts.join('\n');
  const data = parts.find((part) => part.content?.$case === 'data')?.content?.value;
  return data === undefined ? undefined : JSON.stringify(data);
}

/**
 * Folds a streamed artifact update into the task's artifacts: same id with `append` adds
 * parts, same id without it replaces, a new id is added at the end.
 */
export function applyArtifactUpdate(artifacts: Artifact[], update: Artifact, append: boolean): void {
  const index = artifacts.findIndex((artifact) => artifact.artifactId === update.artifactId);
  if (index < 0) artifacts.push(update);
  else if (append) artifacts[index] = { ...artifacts[index]!, parts: [...artifacts[index]!.parts, ...update.parts] };
  else artifacts[index] = update;
}
