import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Handler } from '../../middleware/middleware.ts';
import { setRequestState } from '../../middleware/request-state.ts';
import { applyForwardedHeaders, type ForwardedHeadersPolicy } from '../../router/proxy/forwarded-headers.ts';
import { renderError } from '../../router/proxy/render-error.ts';
import { attachUpgradeHandling } from '../../router/proxy/upgrade.ts';

/** A loopback test server: its base URL and a close that also drops open connections. */
export interface Backend {
  readonly url: string;
  /** Connections accepted so far, and those still open. */
  readonly connections: { total: number; open: number };
  close(): Promise<void>;
}

/** Starts an HTTP server on 127.0.0.1, port 0, with connection counting; `onUpgrade` handles Upgrade requests. */
export async function startServer(
  handler: RequestListener,
  onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void,
): Promise<Backend & { server: Server }> {
  const server = createServer(handler);
  const connections = { total: 0, open: 0 };
  // Tracked here because closeAllConnections() does not see upgraded sockets.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    connections.total++;
    connections.open++;
    sockets.add(socket);
    socket.on('close', () => {
      connections.open--;
      sockets.delete(socket);
    });
  });
  if (onUpgrade) server.on('upgrade', onUpgrade);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    connections,
    close: async () => {
      if (!server.listening) return;
      server.close();
      for (const socket of sockets) socket.destroy();
      await once(server, 'close');
    },
  };
}

/** What the echo server answers: the request as it arrived, and a digest of its body. */
export interface Echo {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  bodyLength: number;
  sha256: string;
  /** The body as UTF-8, when at most 64 KiB. */
  body?: string;
}

/** Echo server: answers JSON of method, url, headers and body; `?cookies=n` adds n Set-Cookie headers. */
export function startEchoServer(): Promise<Backend> {
  return startServer((req, res) => {
    const hash = createHash('sha256');
    const small: Buffer[] = [];
    let bodyLength = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bodyLength += chunk.length;
      if (bodyLength <= 65536) small.push(chunk);
    });
    req.on('end', () => {
      const echo: Echo = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        bodyLength,
        sha256: hash.digest('hex'),
        ...(bodyLength <= 65536 ? { body: Buffer.concat(small).toString('utf8') } : {}),
      };
      const cookies = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('cookies') ?? 0);
      if (cookies > 0)
        res.setHeader(
          'set-cookie',
          Array.from({ length: cookies }, (_, i) => `c${i}=v${i}; Path=/`),
        );
      const json = JSON.stringify(echo);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
      res.end(req.method === 'HEAD' ? undefined : json);
    });
  });
}

/** The streaming server's view of its last download: bytes written and whether it is waiting for 'drain'. */
export interface StreamStats {
  bytesWritten: number;
  blocked: boolean;
  finished: boolean;
  closedEarly: number;
}

/**
 * Streaming server. `GET /bytes?n=N` streams N bytes of a fixed random pattern honouring backpressure
 * (`expectedSha256(N)` is their digest); any request with a body gets `{bytes, sha256}` of what it read.
 */
export async function startStreamingServer(): Promise<
  Backend & { stats: StreamStats; expectedSha256(n: number): string }
> {
  const pattern = randomBytes(65536);
  const stats: StreamStats = { bytesWritten: 0, blocked: false, finished: false, closedEarly: 0 };
  const backend = await startServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/bytes') {
      const total = Number(url.searchParams.get('n') ?? 0);
      Object.assign(stats, { bytesWritten: 0, blocked: false, finished: false });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
      res.on('close', () => {
        if (!res.writableFinished) stats.closedEarly++;
      });
      const pump = (): void => {
        while (stats.bytesWritten < total) {
          const chunk = pattern.subarray(0, Math.min(pattern.length, total - stats.bytesWritten));
          stats.bytesWritten += chunk.length;
          if (!res.write(chunk)) {
            stats.blocked = true;
            res.once('drain', () => {
              stats.blocked = false;
              pump();
            });
            return;
          }
        }
        stats.finished = true;
        res.end();
      };
      pump();
      return;
    }
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    req.on('end', () => res.end(JSON.stringify({ bytes, sha256: hash.digest('hex') })));
  });
  const expectedSha256 = (n: number): string => {
    const hash = createHash('sha256');
    for (let done = 0; done < n; done += pattern.length)
      hash.update(pattern.subarray(0, Math.min(pattern.length, n - done)));
    return hash.digest('hex');
  };
  return Object.assign(backend, { stats, expectedSha256 });
}

/** Server that resets (TCP RST) every connection as soon as a request arrives. */
export function startResetServer(): Promise<Backend> {
  return startServer((req) => (req.socket as Socket).resetAndDestroy());
}

/**
 * Slow server: answers after `?delay=ms`, or (`?hold`) when the test calls `release()`, never otherwise;
 * counts requests and those the client dropped.
 */
export async function startSlowServer(): Promise<
  Backend & { received: number; aborted: number; release(): void }
> {
  const counts = { received: 0, aborted: 0 };
  const held: ServerResponse[] = [];
  const backend = await startServer((req, res: ServerResponse) => {
    counts.received++;
    res.on('close', () => {
      if (!res.writableFinished) counts.aborted++;
    });
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const delay = query.get('delay');
    if (delay !== null) setTimeout(() => res.end('slow'), Number(delay)).unref();
    else if (query.has('hold')) held.push(res);
  });
  return {
    url: backend.url,
    connections: backend.connections,
    release: () => {
      for (const res of held.splice(0)) res.end('slow');
    },
    close: backend.close,
    get received() {
      return counts.received;
    },
    get aborted() {
      return counts.aborted;
    },
  };
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Encodes one final WebSocket frame (RFC 6455 §5.2); clients must mask, servers must not. */
export function encodeFrame(opcode: number, payload: Buffer, masked: boolean): Buffer {
  const len = payload.length;
  const lenBytes = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const header = Buffer.alloc(2 + lenBytes + (masked ? 4 : 0));
  header[0] = 0x80 | opcode;
  header[1] = (masked ? 0x80 : 0) | (len < 126 ? len : len < 65536 ? 126 : 127);
  if (lenBytes === 2) header.writeUInt16BE(len, 2);
  if (lenBytes === 8) header.writeBigUInt64BE(BigInt(len), 2);
  if (!masked) return Buffer.concat([header, payload]);
  const mask = randomBytes(4);
  mask.copy(header, 2 + lenBytes);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (mask[i % 4] as number);
  return Buffer.concat([header, body]);
}

/** Reads WebSocket frames from a byte stream and calls `onFrame` for each complete (unfragmented) frame. */
export function frameReader(onFrame: (opcode: number, payload: Buffer) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < 2) return;
      const masked = ((buf[1] as number) & 0x80) !== 0;
      let len = (buf[1] as number) & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        offset = 10;
      }
      const maskAt = offset;
      if (masked) offset += 4;
      if (buf.length < offset + len) return;
      const payload = Buffer.from(buf.subarray(offset, offset + len));
      if (masked)
        for (let i = 0; i < len; i++) payload[i] = (payload[i] as number) ^ (buf[maskAt + (i % 4)] as number);
      const opcode = (buf[0] as number) & 0x0f;
      buf = buf.subarray(offset + len);
      onFrame(opcode, payload);
    }
  };
}

/**
 * WebSocket echo server on raw `upgrade` sockets: echoes text frames, answers ping and close.
 * `/reject` answers 403 instead of 101; a plain request gets 426.
 */
export function startWebSocketEchoServer(): Promise<Backend> {
  return startServer(
    (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' });
      res.end('upgrade required');
    },
    (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      const key = req.headers['sec-websocket-key'];
      if (req.url === '/reject' || typeof key !== 'string') {
        socket.end(
          'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 9\r\nConnection: close\r\n\r\nforbidden',
        );
        return;
      }
      const accept = createHash('sha1')
        .update(key + WS_GUID)
        .digest('base64');
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Accept: ${accept}\r\nX-Echo-Path: ${req.url}\r\n\r\n`,
      );
      const read = frameReader((opcode, payload) => {
        if (opcode === 0x1) socket.write(encodeFrame(0x1, payload, false));
        else if (opcode === 0x9) socket.write(encodeFrame(0xa, payload, false));
        else if (opcode === 0x8) socket.end(encodeFrame(0x8, payload, false));
      });
      socket.on('data', read);
      socket.on('end', () => socket.end());
      if (head.length > 0) read(head);
    },
  );
}

/** A minimal WebSocket client over a raw upgraded socket, for tests. */
export interface WsClient {
  readonly socket: Duplex;
  readonly headers: Record<string, string | string[] | undefined>;
  send(text: string): void;
  /** The next text message (messages are queued). */
  next(): Promise<string>;
  close(): void;
}

/** Opens a WebSocket to `url`; resolves a client on 101, or `{status, body}` when the server answers otherwise. */
export function wsConnect(url: string): Promise<WsClient | { status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('upgrade', (res, socket, head) => {
      const messages: string[] = [];
      const waiters: Array<(m: string) => void> = [];
      const read = frameReader((opcode, payload) => {
        if (opcode !== 0x1) return;
        const waiter = waiters.shift();
        if (waiter) waiter(payload.toString('utf8'));
        else messages.push(payload.toString('utf8'));
      });
      socket.on('data', read);
      socket.on('error', () => socket.destroy());
      if (head.length > 0) read(head);
      resolve({
        socket,
        headers: res.headers,
        send: (text) => socket.write(encodeFrame(0x1, Buffer.from(text), true)),
        next: () => {
          const m = messages.shift();
          return m !== undefined ? Promise.resolve(m) : new Promise((r) => waiters.push(r));
        },
        close: () => socket.end(encodeFrame(0x8, Buffer.alloc(0), true)),
      });
    });
    req.end();
  });
}

/** A loopback stand-in for an entryPoint: request state, forwarded headers, `handler`, errors rendered. */
export async function startProxy(
  handler: Handler,
  policy: ForwardedHeadersPolicy = { trusted: () => false },
): Promise<Backend & { errors: unknown[] }> {
  const errors: unknown[] = [];
  const handle = (
    req: IncomingMessage,
    res: ServerResponse,
    upgrade?: { socket: Duplex; head: Buffer },
  ): void => {
    const state = setRequestState(req, {
      entryPoint: 't',
      scheme: 'http',
      clientIp: '127.0.0.1',
      start: process.hrtime.bigint(),
      originalUrl: req.url ?? '/',
    });
    if (upgrade) state.upgrade = upgrade;
    applyForwardedHeaders(req, state.clientIp, 'http', req.socket.localPort ?? 0, policy);
    handler(req, res).catch((err: unknown) => {
      errors.push(err);
      renderError(res, err);
    });
  };
  const backend = await startServer(handle);
  attachUpgradeHandling(backend.server, handle);
  return Object.assign(backend, { errors });
}

/** Polls `condition` every 5 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
