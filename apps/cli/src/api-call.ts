import type { CliIo } from './cli.js';

/** One request to the running server's API; throws `<status>: <message>` on a refusal. */
export type ApiCall = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

/** The server's base URL: BATON_URL, else http://127.0.0.1:$PORT. */
export function serverUrl(env: Record<string, string | undefined>): string {
  return (env.BATON_URL || `http://127.0.0.1:${env.PORT || '3000'}`).replace(/\/$/, '');
}

/**
 * JSON over HTTP to the server at `base`, with BATON_TOKEN as the bearer. The server's own
 * message comes back on a refusal, with each bad field's path when it names them.
 */
export function apiCaller(base: string, token: string | undefined): ApiCall {
  return async (method, path, body) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const parsed = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) {
      const details = Array.isArray(parsed.details)
        ? (parsed.details as Array<{ path?: string; message?: string }>).map((d) => `\n  ${d.path}: ${d.message}`).join('')
        : '';
      throw new Error(`${response.status}: ${String(parsed.message ?? response.statusText)}${details}`);
    }
    return parsed;
  };
}

/** Prints JSON, two-space indented, on stdout. */
export function printJson(io: CliIo, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/** A fixed-width table of `rows` under `header`. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((row) => row.map((cell, i) => (cell ?? '').padEnd(widths[i]!)).join('  ').trimEnd());
}
