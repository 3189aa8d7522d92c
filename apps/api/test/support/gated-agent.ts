import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP agent on loopback that holds every call until `release()`: calls in flight
 * stay in flight for as long as a test needs to look at them. It echoes the input back.
 */
export async function startGatedAgent(): Promise<{ url: string; inFlight: () => number; release: () => void; close: () => Promise<void> }> {
  const held: Array<{ response: ServerResponse; body: string }> = [];
  let open = false;
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      if (open) return void response.writeHead(200, { 'content-type': 'application/json' }).end(body || 'null');
      held.push({ response, body });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const release = () => {
    open = true;
    for (const { response, body } of held.splice(0)) response.writeHead(200, { 'content-type': 'application/json' }).end(body || 'null');
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/agent`,
    inFlight: () => held.length,
    release,
    close: async () => {
      release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
