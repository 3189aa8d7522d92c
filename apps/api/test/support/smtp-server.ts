import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The message as the relay received it (headers and body, dot-unstuffed). */
  data: string;
}

export interface SmtpServer {
  url: string;
  messages: ReceivedMail[];
  /** The message after the first `seen`; rejects after `timeoutMs` so a missing mail fails loudly. */
  nextMessage(seen?: number, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/**
 * A real SMTP server on 127.0.0.1 (nodemailer's `smtp-server` from npm, not a mock): plain
 * SMTP without STARTTLS or AUTH, like the local relay BATON_ALERT_SMTP_URL points at. It
 * accepts every message and keeps it, so a test reads what Baton sent the way a relay got it.
 */
export async function startSmtpServer(): Promise<SmtpServer> {
  const messages: ReceivedMail[] = [];
  const waiters: Array<() => void> = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    banner: 'test relay',
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const { mailFrom, rcptTo } = session.envelope;
        messages.push({
          from: mailFrom ? mailFrom.address : '',
          to: rcptTo.map((rcpt) => rcpt.address),
          data: Buffer.concat(chunks).toString('utf8').replace(/\r\n$/, ''),
        });
        callback();
        for (const wake of waiters.splice(0)) wake();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.on('error', () => undefined); // a client that hangs up mid-session is not the test's failure
  const { port } = server.server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    nextMessage: (seen = 0, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no mail arrived within ${timeoutMs} ms (${messages.length} received)`)), timeoutMs);
        const check = () => {
          if (messages.length <= seen) return void waiters.push(check);
          clearTimeout(timer);
          resolve(messages[seen]!);
        };
        check();
      }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
