import { readdir } from 'node:fs/promises';
import { extname, join, basename } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A job handler: the step's input and context in, the step's output out (throw to fail it). */
export type Handler = (input: unknown, context: Record<string, unknown>) => Promise<unknown> | unknown;

const EXTENSIONS = new Set(['.js', '.mjs']);

/**
 * The handlers in `folder`: `<agent>.js` or `<agent>.mjs`, each with a default export. The
 * file names are the node's capabilities: the `worker` agents whose jobs it takes.
 */
export async function loadHandlers(folder: string): Promise<Map<string, Handler>> {
  const handlers = new Map<string, Handler>();
  for (const file of (await readdir(folder)).sort()) {
    if (!EXTENSIONS.has(extname(file))) continue;
    const module = (await import(pathToFileURL(join(folder, file)).href)) as { default?: unknown };
    if (typeof module.default !== 'function') throw new Error(`${file}: the default export must be a function`);
    handlers.set(basename(file, extname(file)), module.default as Handler);
  }
  if (handlers.size === 0) throw new Error(`no handlers (*.js, *.mjs) in ${folder}`);
  return handlers;
}
