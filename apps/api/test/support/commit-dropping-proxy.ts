import net from 'node:net';

/**
 * A TCP proxy in front of a Postgres server that can lose one COMMIT's answer: when armed,
 * the first connection that sends a statement matching `after` and then `commit` has its
 * COMMIT delivered to the server, and once the server answers, both sides are cut. The
 * transaction is committed; the client only learns that its connection broke (an ambiguous
 * commit, as when the network or the server fails at that instant). Real sockets, a real server.
 */
export interface CommitDroppingProxy {
  port: number;
  /** Loses the answer to the next COMMIT sent on a connection that sent `after` before it. */
  arm(after: RegExp): void;
  /** How many COMMIT answers were lost. */
  readonly dropped: number;
  close(): Promise<void>;
}

// The simple-protocol Query message for `commit`: 'Q', int32 length 11, "commit\0".
const COMMIT = Buffer.concat([Buffer.from('Q'), Buffer.from([0, 0, 0, 11]), Buffer.from('commit\0')]);

export async function startCommitDroppingProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<CommitDroppingProxy> {
  let armed: RegExp | null = null;
  let dropped = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    let sawStatement = false;
    let cutOnAnswer = false;
    client.on('data', (chunk) => {
      if (armed && !cutOnAnswer) {
        if (armed.test(chunk.toString('latin1'))) sawStatement = true;
        if (sawStatement && chunk.includes(COMMIT)) {
          armed = null;
          cutOnAnswer = true;
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (cutOnAnswer) {
        // The server has committed and answered: the client never hears it.
        dropped++;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    arm: (after) => {
      armed = after;
    },
    get dropped() {
      return dropped;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
