import type { ApiToken, CreatedToken, Role } from '@baton/identity';

/** What the `token` commands need, whether they talk to the database or to a running server. */
export interface TokenCommands {
  create(input: { name?: string; role?: string }): Promise<CreatedToken>;
  list(): Promise<ApiToken[]>;
  revoke(name: string): Promise<ApiToken>;
}

interface TokenBody {
  id: string;
  name: string;
  role: Role;
  /** The owner a bound token is limited to; absent from older servers' answers. */
  owner?: string | null;
  /** The agent an agent credential is bound to; absent from older servers' answers. */
  agent?: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

function toApiToken(body: TokenBody): ApiToken {
  const date = (value: string | null) => (value === null ? null : new Date(value));
  return { ...body, owner: body.owner ?? null, agent: body.agent ?? null, createdAt: new Date(body.createdAt), lastUsedAt: date(body.lastUsedAt), revokedAt: date(body.revokedAt) };
}

/**
 * The token commands through a running server's REST API (`/api/v1/tokens`): the way to
 * manage tokens while a server holds the embedded database. Errors carry the server's own
 * message (it names the bad field).
 */
export class HttpTokenClient implements TokenCommands {
  constructor(
    private readonly baseUrl: string,
    private readonly bearer?: string,
  ) {}

  async create(input: { name?: string; role?: string }): Promise<CreatedToken> {
    const body = await this.send<TokenBody & { token: string }>('POST', '/api/v1/tokens', input);
    const { token, ...rest } = body;
    return { token, apiToken: toApiToken(rest) };
  }

  async list(): Promise<ApiToken[]> {
    return (await this.send<{ items: TokenBody[] }>('GET', '/api/v1/tokens')).items.map(toApiToken);
  }

  async revoke(name: string): Promise<ApiToken> {
    return toApiToken(await this.send<TokenBody>('DELETE', `/api/v1/tokens/${encodeURIComponent(name)}`));
  }

  private async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    const url = new URL(path, this.baseUrl);
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      throw new Error(`cannot reach ${url.origin}: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`);
    }
    const text = await response.text();
    if (!response.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // not JSON: keep the text
      }
      throw new Error(`${method} ${url.pathname}: ${response.status} ${message}`);
    }
    return JSON.parse(text) as T;
  }
}

/** Quotes a word for a POSIX shell. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The curl command that does what `token <command>` asked, against the server at `baseUrl`. */
export function curlFor(baseUrl: string, command: string, options: { name?: string; role?: string }): string {
  const url = (path: string) => shellQuote(new URL(path, baseUrl).toString());
  const auth = ' -H "authorization: Bearer $BATON_TOKEN"';
  if (command === 'create') {
    const body = JSON.stringify({ name: options.name, role: options.role });
    return `curl -X POST ${url('/api/v1/tokens')}${auth} -H 'content-type: application/json' -d ${shellQuote(body)}`;
  }
  if (command === 'revoke') return `curl -X DELETE ${url(`/api/v1/tokens/${encodeURIComponent(options.name ?? '<name>')}`)}${auth}`;
  return `curl ${url('/api/v1/tokens')}${auth}`;
}
