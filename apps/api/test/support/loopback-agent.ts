import { createServer, type Server } from 'node:http';

/**
 * A real HTTP agent on 127.0.0.1 whose behaviour a test changes as it goes: the status it
 * answers (`status`), how long it takes (`delayMs`). It counts calls, attempts per step key,
 * and the most calls it ever had in flight at once.
 */
export interface LoopbackAgent {
  url: string;
  status: number;
  delayMs: number;
  readonly calls: number;
  readonly maxInFlight: number;
  /** Calls per `x-baton-step-key` and run. */
  readonly callsByStep: Map<string, number>;
  close(): Promise<void>;
}

export async function startLoopbackAgent(options: { status?: number; delayMs?: number } = {}): Promise<LoopbackAgent> {
  let calls = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const callsByStep = new Map<string, number>();
  let server: Server | undefined;
  const agent: LoopbackAgent = {
    url: '',
    status: options.status ?? 200,
    delayMs: options.delayMs ?? 0,
    get calls() {
      return calls;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    callsByStep,
    close: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  };
  server = createServer((req, res) => {
    calls++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const key = `${req.headers['x-baton-run-id']}/${req.headers['x-baton-step-key']}`;
    callsByStep.set(key, (callsByStep.get(key) ?? 0) + 1);
    const chunks: Buffer[] = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const status = agent.status;
      setTimeout(() => {
        inFlight--;
        const body = status < 300 ? { ok: true, input: JSON.parse(Buffer.concat(chunks).toString() || 'null') } : { error: 'unavailable' };
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      }, agent.delayMs);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  agent.url = `http://127.0.0.1:${port}/`;
  return agent;
}
