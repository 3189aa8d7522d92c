import { createServer, type Server } from 'node:http';
import { http } from './test-app.js';

/** Decides an agent's answer from its input and how many times it was called before. */
export type AgentBrain = (input: any, callIndex: number) => unknown | Promise<unknown>;

export interface TeamAgents {
  /** Every input each agent received, in order. */
  calls: Record<string, any[]>;
  url(name: string): string;
  /** Registers each agent with Baton as `<prefix><name>` (an `http` agent). */
  register(baton: string, prefix: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Real HTTP agents on 127.0.0.1, one path per agent, that make a pattern's routing
 * decisions in code: what a model would answer, made deterministic for a test.
 */
export async function startTeamAgents(brains: Record<string, AgentBrain>): Promise<TeamAgents> {
  const calls: Record<string, any[]> = Object.fromEntries(Object.keys(brains).map((name) => [name, []]));
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const name = decodeURIComponent((request.url ?? '/').slice(1));
      const brain = brains[name];
      if (!brain) return void response.writeHead(404).end();
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
      const index = calls[name]!.length;
      calls[name]!.push(input);
      try {
        const answer = await brain(input, index);
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer ?? null));
      } catch (error) {
        response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    calls,
    url: (name) => `${base}/${encodeURIComponent(name)}`,
    async register(baton, prefix) {
      for (const name of Object.keys(brains)) {
        const response = await http('POST', `${baton}/api/v1/agents`, { name: `${prefix}${name}`, kind: 'http', url: `${base}/${encodeURIComponent(name)}` });
        if (response.status !== 201 && response.status !== 200) throw new Error(`agent ${name} not registered: ${response.status} ${JSON.stringify(response.body)}`);
      }
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
