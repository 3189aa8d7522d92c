import { connect } from 'node:net';

export interface RawRequest {
  method: string;
  /** Sent as is: may hold bytes no HTTP client would send. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RawAnswer {
  /** 0 when the server closed the connection without a status line. */
  status: number;
  /** The first bytes of the response (status line, headers, start of the body: up to 8,000 characters). */
  head: string;
}

/**
 * One request over a fresh TCP connection, answered by its status line. Streams (SSE) are
 * cut as soon as the status arrives, so every route, streaming or not, costs the same.
 */
export function rawRequest(port: number, request: RawRequest, timeoutMs = 15_000): Promise<RawAnswer> {
  const body = request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8');
  const headers: Record<string, string> = { host: `127.0.0.1:${port}`, connection: 'close', ...request.headers };
  if (body) headers['content-length'] ??= String(body.length);
  const head = `${request.method} ${request.path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) return reject(error);
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      resolve({ status: match ? Number(match[1]) : 0, head: received.slice(0, 8000) });
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms to ${request.method} ${request.path.slice(0, 100)}`)), timeoutMs);
    socket.on('connect', () => {
      socket.write(Buffer.from(head, 'latin1'));
      if (body) socket.write(body);
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      // The headers are in: wait a moment for the start of the body (the message), then
      // stop; a stream (SSE) would otherwise hold the socket until its heartbeat.
      if (received.includes('\r\n\r\n')) setTimeout(() => finish(), 30);
    });
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    // A reset after the server answered (it refused a body it would not read) is an answer.
    socket.on('error', (error) => (received ? finish() : finish(error)));
  });
}
