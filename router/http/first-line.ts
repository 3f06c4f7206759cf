import type { Duplex } from 'node:stream';

const LF = 10;
const CR = 13;
/** Node's default limit for the request head: a first line longer than this is Node's parser's to refuse. */
export const MAX_REQUEST_LINE = 16 * 1024;

/** Go's answer to a request it cannot parse, which closes the connection. */
export const BAD_REQUEST_RESPONSE =
  'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: 16\r\n\r\n400 Bad Request\n';

/**
 * Checks a connection's first bytes: `incomplete` until the request line has ended (or MAX_REQUEST_LINE
 * bytes came), `bad` for a request line without an HTTP version (HTTP/0.9, `GET /`), which Node's parser
 * would otherwise hold until the header timeout, waiting for headers HTTP/0.9 never sends.
 */
export function firstLineCheck(head: Buffer): 'ok' | 'bad' | 'incomplete' {
  // Empty lines before a request line are allowed (RFC 9112 §2.2) and skipped by Node's parser too.
  let start = 0;
  while (start < head.length && (head[start] === LF || head[start] === CR)) start++;
  const end = head.indexOf(LF, start);
  if (end < 0) return head.length - start < MAX_REQUEST_LINE ? 'incomplete' : 'ok';
  const lineEnd = end > start && head[end - 1] === CR ? end - 1 : end;
  const line = head.toString('latin1', start, lineEnd);
  return / HTTP\/\d\.\d$/.test(line) ? 'ok' : 'bad';
}

/**
 * Waits (within `timeoutMs` of now, 0: no limit) until a paused socket's first request line is in, then
 * pushes the bytes back and calls `done` with firstLineCheck's verdict; a socket that ends, fails or times
 * out first is destroyed. In the usual case the line is already buffered and `done` runs at once.
 */
export function awaitRequestLine(
  socket: Duplex,
  timeoutMs: number,
  done: (verdict: 'ok' | 'bad') => void,
): void {
  let buffered: Buffer = Buffer.alloc(0);
  let timer: NodeJS.Timeout | undefined;
  const settle = (verdict: 'ok' | 'bad') => {
    socket.off('data', onData);
    socket.off('end', onGone);
    socket.off('error', onGone);
    clearTimeout(timer);
    socket.pause();
    if (buffered.length > 0) socket.unshift(buffered);
    done(verdict);
  };
  const onData = (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const verdict = firstLineCheck(buffered);
    if (verdict !== 'incomplete') settle(verdict);
  };
  const onGone = () => {
    socket.off('data', onData);
    clearTimeout(timer);
    socket.destroy();
  };
  const ready = socket.read() as Buffer | null;
  if (ready !== null) {
    buffered = ready;
    const verdict = firstLineCheck(buffered);
    if (verdict !== 'incomplete') {
      socket.unshift(buffered);
      done(verdict);
      return;
    }
  }
  socket.on('data', onData);
  socket.once('end', onGone);
  socket.once('error', onGone);
  if (timeoutMs > 0) timer = setTimeout(onGone, timeoutMs);
  socket.resume();
}
