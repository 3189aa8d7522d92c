import { connect, type Socket } from 'node:net';

export interface Mail {
  from: string;
  to: string[];
  subject: string;
  text: string;
}

/**
 * Sends one message over plain SMTP (RFC 5321: EHLO, MAIL, RCPT, DATA, QUIT) to
 * `smtp://host:port`. Enough for a relay on the operator's network or loopback; no TLS and
 * no auth (put a local relay in front of a provider that needs them). Rejects on any 4xx/5xx.
 */
export async function sendMail(smtpUrl: string, mail: Mail, timeoutMs = 10_000): Promise<void> {
  const url = new URL(smtpUrl);
  const socket = connect({ host: url.hostname, port: Number(url.port || 25) });
  socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`SMTP ${url.host} timed out`)));
  const replies = replyReader(socket);
  try {
    await expect(replies, 220);
    await command(socket, replies, `EHLO ${url.hostname}`, 250);
    await command(socket, replies, `MAIL FROM:<${mail.from}>`, 250);
    for (const to of mail.to) await command(socket, replies, `RCPT TO:<${to}>`, 250);
    await command(socket, replies, 'DATA', 354);
    const headers = [`From: ${mail.from}`, `To: ${mail.to.join(', ')}`, `Subject: ${oneLine(mail.subject)}`, `Date: ${new Date().toUTCString()}`, 'Content-Type: text/plain; charset=utf-8'];
    // Dot-stuffing: a body line starting with "." gets another one, so it never ends the message.
    const body = mail.text.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    await command(socket, replies, `${headers.join('\r\n')}\r\n\r\n${body}\r\n.`, 250);
    await command(socket, replies, 'QUIT', 221).catch(() => undefined);
  } finally {
    socket.destroy();
  }
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

type ReplyReader = () => Promise<{ code: number; text: string }>;

async function command(socket: Socket, next: ReplyReader, line: string, code: number): Promise<void> {
  socket.write(`${line}\r\n`);
  await expect(next, code);
}

async function expect(next: ReplyReader, code: number): Promise<void> {
  const reply = await next();
  if (reply.code !== code) throw new Error(`SMTP answered ${reply.code} ${reply.text} (expected ${code})`);
}

/** Complete replies (the last line of a multi-line reply has a space after the code), in order. */
function replyReader(socket: Socket): ReplyReader {
  let buffer = '';
  const lines: string[] = [];
  const waiting: Array<{ resolve: (r: { code: number; text: string }) => void; reject: (e: Error) => void }> = [];
  let failure: Error | null = null;
  const flush = () => {
    while (waiting.length > 0) {
      const end = lines.findIndex((line) => /^\d{3}( |$)/.test(line));
      if (end < 0) return;
      const reply = lines.splice(0, end + 1);
      const last = reply[reply.length - 1]!;
      waiting.shift()!.resolve({ code: Number(last.slice(0, 3)), text: reply.map((l) => l.slice(4)).join(' ') });
    }
  };
  socket.on('data', (chunk) => {
    buffer += chunk.toString('utf8');
    const parts = buffer.split('\r\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
    flush();
  });
  const fail = (error: Error) => {
    failure = error;
    for (const w of waiting.splice(0)) w.reject(error);
  };
  socket.on('error', fail);
  socket.on('close', () => fail(failure ?? new Error('SMTP connection closed')));
  return () =>
    new Promise((resolve, reject) => {
      if (failure) return reject(failure);
      waiting.push({ resolve, reject });
      flush();
    });
}
