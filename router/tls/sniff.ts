import type { Socket } from 'node:net';
import {
  type ClientHelloPeek,
  MAX_FIRST_RECORD,
  readClientHello,
  TLS_HANDSHAKE_RECORD,
} from './client-hello.ts';

/** What a connection's first bytes said. */
export type Sniffed =
  /** A TLS handshake; `serverName` and the offered ALPN protocols from its first record when it could be read. */
  | { readonly kind: 'tls'; readonly serverName: string | undefined; readonly alpn?: readonly string[] }
  /** HTTP/2 with prior knowledge (h2c): the connection preface. */
  | { readonly kind: 'h2c' }
  /** Anything else: HTTP/1.x. */
  | { readonly kind: 'http' };

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n');

/**
 * Reads a new connection's first bytes to tell TLS from plain HTTP, as Traefik's entryPoints do, so one port
 * serves both: a TLS record (0x16) is read up to its end for the SNI name; anything else is decided on the
 * first chunk. The bytes are then pushed back (`unshift`) and `done` hands the paused socket to the server
 * that speaks its protocol. A socket that has not sent its first record within `timeoutMs` of arriving
 * (0: no limit), ends or fails first is destroyed.
 */
export function sniffConnection(socket: Socket, timeoutMs: number, done: (sniffed: Sniffed) => void): void {
  let buffered: Buffer = Buffer.alloc(0);
  // An absolute deadline, not an idle one: a client dripping a byte at a time must not hold the socket.
  let deadline: NodeJS.Timeout | undefined;
  const cleanup = () => {
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('error', onError);
    clearTimeout(deadline);
  };
  const finish = (sniffed: Sniffed) => {
    cleanup();
    socket.pause();
    socket.unshift(buffered);
    done(sniffed);
  };
  const onData = (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    if (buffered[0] !== TLS_HANDSHAKE_RECORD) {
      const n = Math.min(buffered.length, H2_PREFACE.length);
      const preface = buffered.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (preface && n < H2_PREFACE.length) return; // `PRI * HT`: wait for the rest of the line
      finish(preface ? { kind: 'h2c' } : { kind: 'http' });
      return;
    }
    const hello: ClientHelloPeek = readClientHello(buffered);
    if (hello.kind === 'incomplete' && buffered.length < MAX_FIRST_RECORD) return;
    if (hello.kind === 'hello' && hello.alpn)
      finish({ kind: 'tls', serverName: hello.serverName, alpn: hello.alpn });
    else finish({ kind: 'tls', serverName: hello.kind === 'hello' ? hello.serverName : undefined });
  };
  // Nothing sent, or a half-sent first record: nobody to answer.
  const onEnd = () => {
    cleanup();
    socket.destroy();
  };
  const onError = () => {
    cleanup();
    socket.destroy();
  };
  const onTimeout = () => {
    cleanup();
    socket.destroy();
  };
  socket.on('data', onData);
  socket.once('end', onEnd);
  socket.once('error', onError);
  if (timeoutMs > 0) deadline = setTimeout(onTimeout, timeoutMs);
}
