import { createServer, type Server, type ServerResponse } from 'node:http';

/**
 * A loopback ledger agent: books (`do`) and undoes (`undo`) per step, records every call it
 * received and every call it answered 2xx. `do:d` is refused (400) so the run rolls back; the
 * first `undo:c` is held open and never answered (`held` resolves when it arrives).
 */
export interface Ledger {
  url: string;
  received: string[];
  answered: string[];
  held: Promise<void>;
  close(): Promise<void>;
}

export function startLedger(): Promise<Ledger> {
  const received: string[] = [];
  const answered: string[] = [];
  const open = new Set<ServerResponse>();
  let arrived!: () => void;
  const held = new Promise<void>((resolve) => (arrived = resolve));
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || 'null');
      const call = `${body.op}:${body.step}`;
      received.push(call);
      if (call === 'undo:c' && received.filter((c) => c === call).length === 1) {
        open.add(res);
        res.on('close', () => open.delete(res));
        arrived();
        return; // held: the caller dies before any answer
      }
      const status = call === 'do:d' ? 400 : 200;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(status < 300 ? { done: body } : { error: 'refused' }));
      if (status < 300) answered.push(call);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}/`,
        received,
        answered,
        held,
        close: () => {
          for (const res of open) res.destroy();
          server.closeAllConnections();
          return new Promise((done) => server.close(() => done()));
        },
      });
    }),
  );
}

/** A step booked with the ledger, undone by its compensation (3 s per attempt). */
export const sagaStep = (id: string, dependsOn: string[]) => ({
  id,
  agent: 'ledger',
  depends_on: dependsOn,
  input: { op: 'do', step: id },
  retry: { max_attempts: 1 },
  compensate: { agent: 'ledger', input: { op: 'undo', step: id }, timeout_seconds: 3 },
});

