import { createServer, type Server } from 'node:net';

export interface ReceivedMail {
  from: string;
  to: string[];
  data: string;
}

export interface SmtpServer {
  url: string;
  messages: ReceivedMail[];
  /** Resolves with the next message (or one already received beyond `seen`). */
  /** The message after the first `seen`; rejects after `timeoutMs` so a missing mail fails loudly. */
  nextMessage(seen?: number, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/**
 * A real SMTP server on 127.0.0.1 (RFC 5321's minimal command set over node:net): it accepts
 * every message and keeps it, so a test reads what Baton sent the way a mail relay got it.
 */
export async function startSmtpServer(): Promise<SmtpServer> {
  const messages: ReceivedMail[] = [];
  const waiters: Array<() => void> = [];
  const server: Server = createServer((socket) => {
    let buffer = '';
    let inData = false;
    let current: ReceivedMail = { from: '', to: [], data: '' };
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 test-smtp ready');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          current.data = buffer.slice(0, end).replace(/^\.\./gm, '.');
          buffer = buffer.slice(end + 5);
          inData = false;
          messages.push(current);
          current = { from: '', to: [], data: '' };
          reply('250 queued');
          for (const wake of waiters.splice(0)) wake();
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') reply('250 test-smtp');
        else if (verb === 'MAIL') (current.from = /<(.*)>/.exec(line)?.[1] ?? ''), reply('250 ok');
        else if (verb === 'RCPT') current.to.push(/<(.*)>/.exec(line)?.[1] ?? ''), reply('250 ok');
        else if (verb === 'DATA') (inData = true), reply('354 end with <CRLF>.<CRLF>');
        else if (verb === 'QUIT') reply('221 bye'), socket.end();
        else reply('502 not implemented');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
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
