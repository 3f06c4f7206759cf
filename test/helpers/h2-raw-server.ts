import { createServer, type Server, type Socket } from 'node:net';

// A hand-made HTTP/2 server over a raw TCP socket, for what Node's http2 server does not let a test
// control: it answers PINGs itself, so a server that stays silent to a PING cannot be made with it. This
// one speaks just enough h2c (prior knowledge): the preface, SETTINGS and their ACK, one HEADERS+DATA
// answer per request, PING ACKs that can be switched off. A connection that opens with HTTP/1.1 instead
// gets a plain HTTP/1.1 answer, so a test can tell which protocol reached it.

/** The client connection preface (RFC 9113 section 3.4). */
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Frame types (RFC 9113 section 6). */
export const FRAME = {
  DATA: 0x0,
  HEADERS: 0x1,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
} as const;

/** Frame flags. ACK (SETTINGS, PING) and END_STREAM (DATA, HEADERS) share the bit 0x1. */
export const FLAG = { ACK: 0x1, END_STREAM: 0x1, END_HEADERS: 0x4 } as const;

/** One HTTP/2 frame. */
export interface H2Frame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

/** Encodes a frame: 24-bit length, type, flags, 31-bit stream id, payload. */
export function encodeFrame(frame: H2Frame): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(frame.payload.length, 0, 3);
  head[3] = frame.type;
  head[4] = frame.flags;
  head.writeUInt32BE(frame.streamId & 0x7fffffff, 5);
  return Buffer.concat([head, frame.payload]);
}

/** Splits the complete frames off the front of `data`; `rest` is an incomplete frame's bytes. */
export function parseFrames(data: Buffer): { frames: H2Frame[]; rest: Buffer } {
  const frames: H2Frame[] = [];
  let at = 0;
  while (data.length - at >= 9) {
    const length = data.readUIntBE(at, 3);
    if (data.length - at < 9 + length) break;
    frames.push({
      type: data[at + 3] as number,
      flags: data[at + 4] as number,
      streamId: data.readUInt32BE(at + 5) & 0x7fffffff,
      payload: data.subarray(at + 9, at + 9 + length),
    });
    at += 9 + length;
  }
  return { frames, rest: data.subarray(at) };
}

/** An HPACK string literal without Huffman coding (7-bit length prefix; test values stay short). */
function hpackString(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  if (bytes.length >= 127) throw new Error('hpackString: only strings under 127 bytes');
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

/**
 * An HPACK header block for a response (RFC 7541): `:status` (indexed as static entry 8 for 200, else
 * a literal with that indexed name), then the headers as literals without indexing, so the decoder's
 * dynamic table is never touched.
 */
export function encodeResponseHeaders(
  status: number,
  headers: Readonly<Record<string, string>> = {},
): Buffer {
  const parts: Buffer[] = [];
  if (status === 200) parts.push(Buffer.from([0x88]));
  else parts.push(Buffer.from([0x08]), hpackString(String(status)));
  for (const [name, value] of Object.entries(headers))
    parts.push(Buffer.from([0x00]), hpackString(name.toLowerCase()), hpackString(value));
  return Buffer.concat(parts);
}

/** A frame the server received, and on which of its connections (1, 2, ...). */
export interface SeenFrame extends Omit<H2Frame, 'payload'> {
  readonly connection: number;
}

/** The raw server: what it saw, and the switch for PING answers. */
export interface RawH2Server {
  /** h2c://127.0.0.1:<port> */
  readonly url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** The protocol each connection opened with, in order: 'h2' (the preface) or 'http/1.1'. */
  readonly protocols: ReadonlyArray<'h2' | 'http/1.1'>;
  /** Every HTTP/2 frame received. */
  readonly frames: readonly SeenFrame[];
  /** Connections the client has closed (or reset). */
  readonly closed: number;
  /** Whether PINGs are answered with a PING ACK (true at start). */
  answerPings: boolean;
  /** PING frames (not ACKs) received, on one connection or on all. */
  pings(connection?: number): number;
  close(): Promise<void>;
}

/** Answers one HTTP/2 connection: SETTINGS, request HEADERS, PINGs. */
function serveH2(socket: Socket, id: number, server: RawH2Server, frames: SeenFrame[]): void {
  let buffered: Buffer = Buffer.alloc(0);
  socket.write(encodeFrame({ type: FRAME.SETTINGS, flags: 0, streamId: 0, payload: Buffer.alloc(0) }));
  socket.on('data', (chunk: Buffer) => {
    const { frames: got, rest } = parseFrames(Buffer.concat([buffered, chunk]));
    buffered = Buffer.from(rest);
    for (const f of got) {
      frames.push({ type: f.type, flags: f.flags, streamId: f.streamId, connection: id });
      if (f.type === FRAME.SETTINGS && !(f.flags & FLAG.ACK))
        socket.write(
          encodeFrame({ type: FRAME.SETTINGS, flags: FLAG.ACK, streamId: 0, payload: Buffer.alloc(0) }),
        );
      else if (f.type === FRAME.PING && !(f.flags & FLAG.ACK) && server.answerPings)
        socket.write(encodeFrame({ type: FRAME.PING, flags: FLAG.ACK, streamId: 0, payload: f.payload }));
      else if (f.type === FRAME.HEADERS) {
        // Answer at once (the request body, if any, is not waited for): which connection answered.
        const body = Buffer.from(`connection ${id}`);
        const headers = encodeResponseHeaders(200, {
          'x-connection': String(id),
          'content-type': 'text/plain',
        });
        socket.write(
          encodeFrame({
            type: FRAME.HEADERS,
            flags: FLAG.END_HEADERS,
            streamId: f.streamId,
            payload: headers,
          }),
        );
        socket.write(
          encodeFrame({ type: FRAME.DATA, flags: FLAG.END_STREAM, streamId: f.streamId, payload: body }),
        );
      }
    }
  });
}

/** Starts the raw HTTP/2 server on 127.0.0.1, port 0. */
export async function startRawH2Server(): Promise<RawH2Server> {
  const frames: SeenFrame[] = [];
  const protocols: Array<'h2' | 'http/1.1'> = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  let closed = 0;
  const state = {
    url: '',
    answerPings: true,
    get connections() {
      return connections;
    },
    get closed() {
      return closed;
    },
    protocols,
    frames,
    pings: (connection?: number) =>
      frames.filter(
        (f) =>
          f.type === FRAME.PING &&
          !(f.flags & FLAG.ACK) &&
          (connection === undefined || f.connection === connection),
      ).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((socket) => {
    const id = ++connections;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      closed++;
      sockets.delete(socket);
    });
    // The first bytes decide: the HTTP/2 preface, or an HTTP/1.1 request line.
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      if (head.length < PREFACE.length && PREFACE.subarray(0, head.length).equals(head)) return;
      socket.off('data', onData);
      if (head.subarray(0, PREFACE.length).equals(PREFACE)) {
        protocols.push('h2');
        serveH2(socket, id, state, frames);
        const rest = head.subarray(PREFACE.length);
        if (rest.length > 0) socket.emit('data', rest);
      } else {
        protocols.push('http/1.1');
        const body = `connection ${id}`;
        socket.end(
          `HTTP/1.1 200 OK\r\nx-connection: ${id}\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
        );
      }
    };
    socket.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  state.url = `h2c://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return state;
}
