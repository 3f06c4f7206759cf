import type { AddressInfo } from 'node:net';
import { createServer, type Socket } from 'node:net';

// The backend of the WAF agreement test: it must take whatever a proxy forwards (Node's own parser,
// even lenient, refuses a raw non-ASCII byte in the target, which nginx forwards), so it reads HTTP/1.x
// by hand, answers 200 to every request, keeps connections alive, and records the client address of
// each request from the first X-Forwarded-For element (both proxies set it).

/** A running recording backend. */
export interface RecordingBackend {
  readonly port: number;
  /** Client addresses of the requests received. */
  readonly reached: Set<string>;
  close(): Promise<void>;
}

const HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\n';
const ANSWER = Buffer.from(`${HEAD}ok\n`);
/** The answer to HEAD: the same head, no body (the proxy would read the body as its next answer). */
const HEAD_ANSWER = Buffer.from(HEAD);

/** Bytes the body of a request takes at the start of buf, or -1 while incomplete. */
export function bodyLength(headers: Map<string, string>, buf: Buffer): number {
  if ((headers.get('transfer-encoding') ?? '').toLowerCase().includes('chunked')) {
    let at = 0;
    for (;;) {
      const eol = buf.indexOf('\r\n', at);
      if (eol === -1) return -1;
      const size = Number.parseInt(buf.subarray(at, eol).toString('latin1'), 16);
      if (Number.isNaN(size)) return buf.length; // not chunked after all: take what came
      at = eol + 2;
      if (size === 0) {
        // Trailer lines up to an empty one.
        for (;;) {
          const end = buf.indexOf('\r\n', at);
          if (end === -1) return -1;
          if (end === at) return at + 2;
          at = end + 2;
        }
      }
      if (buf.length < at + size + 2) return -1;
      at += size + 2;
    }
  }
  const n = Number(headers.get('content-length') ?? '0');
  return buf.length >= n ? n : -1;
}

function serve(socket: Socket, reached: Set<string>): void {
  let buf = Buffer.alloc(0);
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const headers = new Map<string, string>();
      const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
      const head = lines[0]!.startsWith('HEAD ');
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      const rest = buf.subarray(end + 4);
      const body = bodyLength(headers, rest);
      if (body === -1) return;
      const xff = headers.get('x-forwarded-for');
      if (xff !== undefined) reached.add(xff.split(',')[0]!.trim());
      buf = rest.subarray(body);
      socket.write(head ? HEAD_ANSWER : ANSWER);
    }
  });
}

/** Starts a recording backend on a free loopback port. */
export async function startRecordingBackend(): Promise<RecordingBackend> {
  const reached = new Set<string>();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serve(socket, reached);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    reached,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
