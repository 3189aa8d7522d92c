import { createServer, type IncomingMessage, type Server } from 'node:http';
import { verifyWebhookSignature } from '@baton/webhooks';

/** What the receiver accepted (2xx after a valid signature). */
export interface ReceivedDelivery {
  deliveryId: string;
  eventType: string;
  runId: string;
  seq: number;
  body: any;
}

export type FailureMode = 500 | 503 | 'reset';

/**
 * A real webhook receiver on 127.0.0.1: verifies every signature, fails while `failing()`
 * says so (first N calls, or while "down"), and records what it accepted and every call.
 */
export interface WebhookReceiver {
  url: string;
  secret: string;
  accepted: ReceivedDelivery[];
  /** Every request: delivery id and what was answered. */
  calls: Array<{ deliveryId: string; answer: number | 'reset'; badSignature: boolean }>;
  /** Most requests with one delivery id open at the same moment. */
  maxConcurrentPerDelivery(): number;
  setFailures(modes: FailureMode[]): void;
  setDown(mode: FailureMode | null): void;
  forRun(runId: string): ReceivedDelivery[];
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startReceiver(options: { delayMs?: number } = {}): Promise<WebhookReceiver> {
  let failures: FailureMode[] = [];
  let down: FailureMode | null = null;
  const open = new Map<string, number>();
  let maxOpen = 0;
  const receiver = {
    url: '',
    secret: '',
    accepted: [] as ReceivedDelivery[],
    calls: [] as WebhookReceiver['calls'],
  } as WebhookReceiver;

  const server: Server = createServer(async (request, response) => {
    const raw = await readBody(request);
    const deliveryId = String(request.headers['x-baton-delivery'] ?? '');
    open.set(deliveryId, (open.get(deliveryId) ?? 0) + 1);
    maxOpen = Math.max(maxOpen, open.get(deliveryId)!);
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    open.set(deliveryId, open.get(deliveryId)! - 1);
    const badSignature = !verifyWebhookSignature(
      receiver.secret,
      request.headers['x-baton-timestamp'] as string | undefined,
      raw,
      request.headers['x-baton-signature'] as string | undefined,
      300,
    );
    const mode = down ?? failures.shift();
    const answer: number | 'reset' = badSignature ? 401 : (mode ?? 204);
    receiver.calls.push({ deliveryId, answer, badSignature });
    if (answer === 'reset') {
      request.socket.destroy();
      return;
    }
    if (answer === 204) {
      const body = JSON.parse(raw);
      receiver.accepted.push({ deliveryId, eventType: body.event.type, runId: body.event.runId, seq: body.event.seq, body });
    }
    response.writeHead(answer).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  receiver.url = `http://127.0.0.1:${port}/hook`;
  receiver.maxConcurrentPerDelivery = () => maxOpen;
  receiver.setFailures = (modes) => void (failures = [...modes]);
  receiver.setDown = (mode) => void (down = mode);
  receiver.forRun = (runId) => receiver.accepted.filter((d) => d.runId === runId);
  receiver.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}
