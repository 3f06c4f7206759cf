import type { Socket } from 'node:net';

// undici refuses a `100 Continue` it did not ask for (it never sends `Expect`): it destroys the connection
// ("bad response"), which Wharf answered with 502. RFC 9110 §15.2 says a client must parse 1xx responses
// it did not expect; other 1xx (102, 103) pass through undici fine. So each upstream socket gets a filter
// that removes `100` interim responses from the bytes undici reads, before its parser sees them.

/** Longest `100` head held while waiting for its end; a larger one is passed on (undici then refuses it). */
const MAX_INTERIM_HEAD = 16 * 1024;

const IDLE = 0; // inside a final response (or nothing asked): bytes pass as they are
const AT_START = 1; // the next byte starts a response (a request head was just written)
const IN_INTERIM = 2; // inside the head of a passed-on 1xx (102, 103): a response starts after it

/** "HTTP/" then digit "." digit " " then the status; true while `buf[from..]` can still begin a 1xx. */
function couldBeInterim(buf: Buffer, from: number): boolean {
  const pattern = 'HTTP/0.0 1';
  for (let i = 0; i < pattern.length && from + i < buf.length; i++) {
    const c = buf[from + i] as number;
    const p = pattern.charCodeAt(i);
    if (p === 48 ? c < 48 || c > 57 : c !== p) return false;
  }
  return true;
}

/**
 * Removes `100 Continue` interim responses from an HTTP/1.1 client's inbound byte stream. Told when a
 * request head is written, it looks at the status line of what comes back: a `100` head is dropped (held
 * until its blank line arrives), another 1xx head is passed on and the status after it checked too, and a
 * final status (or 101) ends the checking until the next request. Line ends may be CRLF or bare LF.
 */
export class InterimFilter {
  #state = IDLE;
  #held: Buffer | null = null;
  /** Length of the current header line so far (CR not counted), across chunks of a passed-on head. */
  #lineLength = 0;

  /** A request head was written: the next bytes read start its response. */
  requestStarted(): void {
    this.#state = AT_START;
  }

  /** Filters one chunk read from the socket; null when nothing of it is for the parser yet. */
  push(chunk: Buffer): Buffer | null {
    if (this.#state === IDLE && this.#held === null) return chunk;
    const data = this.#held === null ? chunk : Buffer.concat([this.#held, chunk]);
    this.#held = null;
    const out: Buffer[] = [];
    let pos = 0;
    while (pos < data.length) {
      if (this.#state === IDLE) {
        out.push(data.subarray(pos));
        break;
      }
      if (this.#state === IN_INTERIM) {
        const end = this.#headEnd(data, pos);
        out.push(data.subarray(pos, end === -1 ? data.length : end));
        if (end === -1) break;
        this.#state = AT_START;
        pos = end;
        continue;
      }
      // AT_START: read the status line.
      if (!couldBeInterim(data, pos)) {
        this.#state = IDLE;
        continue;
      }
      if (data.length - pos < 12) {
        this.#held = data.subarray(pos);
        break;
      }
      const status = data.toString('latin1', pos + 9, pos + 12);
      if (status === '101') {
        this.#state = IDLE;
      } else if (status === '100') {
        this.#lineLength = 0;
        const end = this.#headEnd(data, pos);
        if (end !== -1) {
          pos = end; // dropped: the response's real status follows
        } else if (data.length - pos <= MAX_INTERIM_HEAD) {
          this.#held = data.subarray(pos);
          break;
        } else {
          this.#state = IDLE;
        }
      } else {
        this.#lineLength = 0;
        this.#state = IN_INTERIM;
      }
    }
    if (out.length === 0) return null;
    return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
  }

  /** Index just past the blank line that ends a head, scanning from `from`; -1 if it is not in `buf` yet. */
  #headEnd(buf: Buffer, from: number): number {
    let length = this.#lineLength;
    for (let i = from; i < buf.length; i++) {
      const c = buf[i];
      if (c === 10) {
        if (length === 0) {
          this.#lineLength = 0;
          return i + 1;
        }
        length = 0;
      } else if (c !== 13) length++;
    }
    this.#lineLength = length;
    return -1;
  }
}

/** True for the string undici writes first for each request: it starts with the request line. */
function isRequestHead(data: string): boolean {
  const eol = data.indexOf('\r\n');
  return eol > 9 && data.startsWith(' HTTP/1.1', eol - 9);
}

/**
 * Installs an InterimFilter on an upstream socket undici is about to use: its request-head writes mark
 * response starts, and its reads (undici's parser reads with `socket.read()`) go through the filter.
 */
export function filterInterimResponses(socket: Socket): void {
  const filter = new InterimFilter();
  const read = socket.read;
  const write = socket.write;
  socket.read = function (this: Socket, size?: number) {
    const chunk = read.call(this, size) as Buffer | string | null;
    // A chunk undici gets while the filter is idle is the same object, so the fast path costs one call.
    return chunk === null || typeof chunk === 'string' ? chunk : filter.push(chunk);
  };
  socket.write = function (this: Socket, data: unknown, ...rest: unknown[]) {
    if (typeof data === 'string' && isRequestHead(data)) filter.requestStarted();
    return (write as (...args: unknown[]) => boolean).call(this, data, ...rest);
  } as Socket['write'];
}
