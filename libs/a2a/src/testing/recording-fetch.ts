/**
 * Test-only: a `fetch` for SDK clients that keeps what the server answered, so tests can
 * check the wire JSON (not only what the SDK parsed from it) against the A2A schemas.
 */
export interface Exchange {
  method: string;
  headers: Record<string, string>;
  status: number;
  contentType: string;
  /** The response body, read in full (an SSE body once the stream ended). */
  body: Promise<string>;
}

export function recordingFetch(): { fetch: typeof fetch; exchanges: Exchange[] } {
  const exchanges: Exchange[] = [];
  const recording: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    let method = '';
    try {
      method = JSON.parse(String(init?.body ?? '{}')).method ?? '';
    } catch {
      // a card fetch: no body
    }
    exchanges.push({
      method,
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: response.clone().text(),
    });
    return response;
  };
  return { fetch: recording, exchanges };
}

/** The JSON-RPC `result`s in an exchange's body (one for JSON, one per SSE event); error envelopes are skipped. */
export async function resultsOf(exchange: Exchange): Promise<unknown[]> {
  const text = await exchange.body;
  const envelopes = exchange.contentType.startsWith('text/event-stream')
    ? text.split('\n').filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6)))
    : [JSON.parse(text)];
  return envelopes.flatMap((envelope: { result?: unknown; error?: unknown }) => (envelope.error ? [] : [envelope.result]));
}
