import { connect } from 'node:net';
import { BROWSER_UA, CORPUS_HOST, type CorpusRequest } from '../fixtures/waf-corpus/corpus-request.ts';

// A byte-exact HTTP/1.x client for the WAF agreement corpus: an HTTP library would normalise or refuse
// the malformed requests the corpus holds (duplicate Content-Length, obsolete folding, no Host), and
// both engines must receive the very same bytes. Each request leaves from a source address of its own
// (127.77.x.y: Linux routes all of 127/8 to the loopback): both audit logs record the client address and
// the backend reads it from X-Forwarded-For, so the address ties log entries to requests without a tag
// that would change what the rules inspect.

/** The loopback source address of corpus request number i (0-based, up to 51,000 requests). */
export function corpusAddress(i: number): string {
  return `127.77.${Math.floor(i / 200)}.${(i % 200) + 1}`;
}

/** The exact bytes of a corpus request, asking the server to close the connection afterwards. */
export function requestBytes(r: CorpusRequest): Buffer {
  const body = r.body === undefined ? undefined : Buffer.from(r.body);
  const named = new Set((r.headers ?? []).map(([k]) => k.toLowerCase()));
  const lines = [`${r.method} ${r.target} ${r.version ?? 'HTTP/1.1'}`];
  const host = r.host === undefined ? CORPUS_HOST : r.host;
  if (host !== null) lines.push(`Host: ${host}`);
  if (r.bareHeaders !== true) {
    if (!named.has('user-agent')) lines.push(`User-Agent: ${BROWSER_UA}`);
    if (!named.has('accept')) lines.push('Accept: */*');
  }
  for (const [k, v] of r.headers ?? []) lines.push(`${k}: ${v}`);
  if (r.contentType !== undefined) lines.push(`Content-Type: ${r.contentType}`);
  if (r.contentLength !== undefined) {
    if (r.contentLength !== null) lines.push(`Content-Length: ${r.contentLength}`);
  } else if (body !== undefined) {
    lines.push(`Content-Length: ${body.length}`);
  }
  lines.push('Connection: close', '', '');
  const head = Buffer.from(lines.join(r.lineEnd ?? '\r\n'), 'utf8');
  return body === undefined ? head : Buffer.concat([head, body]);
}

/** What came back for one raw request. */
export interface RawAnswer {
  /** The status code, or 0 when the connection closed (or timed out) without a status line. */
  readonly status: number;
  readonly head: string;
  readonly body: string;
  readonly timedOut: boolean;
}

/** Sends bytes to 127.0.0.1:port from `from` and reads until the server closes (or timeoutMs passes). */
export function sendRaw(port: number, bytes: Buffer, from?: string, timeoutMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let timedOut = false;
    // write, not end: a half-closed client looks like an aborted one to nginx (499).
    const socket = connect({ port, host: '127.0.0.1', ...(from ? { localAddress: from } : {}) }, () =>
      socket.write(bytes),
    );
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    // A reset after a refusal is an answer too: what arrived before it is kept.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const head = end === -1 ? text : text.slice(0, end);
      const m = /^HTTP\/\d\.\d (\d{3})/.exec(head);
      resolve({ status: m ? Number(m[1]) : 0, head, body: end === -1 ? '' : text.slice(end + 4), timedOut });
    });
  });
}
