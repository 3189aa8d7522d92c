/**
 * A minimal Server-Sent Events client over fetch, as a browser's EventSource would behave:
 * frames are `id`/`event`/`data` lines ended by a blank line; `:` lines are comments.
 */
export interface SseFrame {
  id: string | undefined;
  event: string;
  data: any;
}

export interface SseStream {
  status: number;
  headers: Headers;
  /** Comment lines seen so far (heartbeats). */
  comments: string[];
  /** The next frame; null once the server has closed the stream. Throws after `timeoutMs`. */
  next(timeoutMs?: number): Promise<SseFrame | null>;
  /** Reads frames until `stop(frame)` holds (that frame included) or the stream ends. */
  collect(stop?: (frame: SseFrame) => boolean, timeoutMs?: number): Promise<{ frames: SseFrame[]; ended: boolean }>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  const frames: SseFrame[] = [];
  const comments: string[] = [];
  let buffer = '';
  let ended = !reader;

  const parse = () => {
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const frame: SseFrame = { id: undefined, event: 'message', data: undefined };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) comments.push(line.slice(1).trim());
        else if (line.startsWith('id:')) frame.id = line.slice(3).trim();
        else if (line.startsWith('event:')) frame.event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) {
        frame.data = JSON.parse(data.join('\n'));
        frames.push(frame);
      }
    }
  };

  const next = async (timeoutMs = 10_000): Promise<SseFrame | null> => {
    const deadline = Date.now() + timeoutMs;
    while (frames.length === 0 && !ended) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no SSE frame within ${timeoutMs} ms from ${url}`)), Math.max(0, deadline - Date.now()));
      });
      try {
        const chunk = await Promise.race([reader!.read(), timeout]);
        if (chunk.done) ended = true;
        else buffer += decoder.decode(chunk.value, { stream: true });
        parse();
      } finally {
        clearTimeout(timer);
      }
    }
    return frames.shift() ?? null;
  };

  return {
    status: response.status,
    headers: response.headers,
    comments,
    next,
    async collect(stop = () => false, timeoutMs = 15_000) {
      const got: SseFrame[] = [];
      for (;;) {
        const frame = await next(timeoutMs);
        if (!frame) return { frames: got, ended: true };
        got.push(frame);
        if (stop(frame)) return { frames: got, ended: false };
      }
    },
    close() {
      abort.abort();
      reader?.cancel().catch(() => undefined);
    },
  };
}
