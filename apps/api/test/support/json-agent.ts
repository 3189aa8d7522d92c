import { createServer, type Server } from 'node:http';

/** One call a loopback agent received: its parsed JSON body. */
export interface AgentCall {
  body: any;
}

/**
 * A real HTTP agent on 127.0.0.1: `answer(body, call)` computes each JSON answer from the
 * step input it was posted (call counts from 1). Records every call.
 */
export function startJsonAgent(answer: (body: any, call: number) => unknown): Promise<{ server: Server; url: string; calls: AgentCall[]; close(): Promise<void> }> {
  const calls: AgentCall[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || 'null');
      calls.push({ body });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(body, calls.length) ?? null));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ server, url: `http://127.0.0.1:${port}/`, calls, close: () => new Promise((done) => server.close(() => done())) });
    }),
  );
}
