import { isIPv4, isIPv6, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { normalizeIp } from '../../core/rules/match-request.ts';

// `entryPoints.<name>.proxyProtocol` (Traefik v3.7 buildProxyProtocolListener, go-proxyproto): a load
// balancer in front (HAProxy, an AWS NLB) opens each connection with a PROXY header naming the client. The
// header is optional; from a trusted peer its source address becomes the connection's peer address, which
// every later reader takes (the client IP of rules and ipAllowList, the access log, X-Forwarded-For,
// X-Real-Ip); from another peer it is read and ignored (go-proxyproto's IGNORE policy). A malformed header
// ends the connection. Spec: https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt

const V1_PREFIX = Buffer.from('PROXY ');
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** The longest v1 line, CRLF included (the spec's 107 bytes). */
const V1_MAX = 107;
/** The v2 fixed part: signature, version/command, family/protocol, length. */
const V2_FIXED = 16;

/** The client a PROXY header names. */
export interface ProxiedPeer {
  readonly address: string;
  readonly port: number;
}

/** What a connection's first bytes say about a PROXY header. */
export type ProxyHeader =
  /** The bytes so far could begin a header: read more. */
  | { readonly kind: 'more' }
  /** No PROXY header: the bytes are the protocol itself. */
  | { readonly kind: 'none' }
  | { readonly kind: 'invalid'; readonly problem: string }
  /** A header of `length` bytes; `peer` absent for v1 UNKNOWN, v2 LOCAL and address families without IPs. */
  | { readonly kind: 'header'; readonly length: number; readonly peer?: ProxiedPeer };

/** Whether `buf` is (a prefix of) `sig`, or starts with it. */
function startsLike(buf: Buffer, sig: Buffer): boolean {
  const n = Math.min(buf.length, sig.length);
  return buf.subarray(0, n).equals(sig.subarray(0, n));
}

function port(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

function parseV1(buf: Buffer): ProxyHeader {
  const end = buf.indexOf('\r\n');
  if (end === -1)
    return buf.length >= V1_MAX
      ? { kind: 'invalid', problem: 'PROXY v1 line longer than 107 bytes' }
      : { kind: 'more' };
  const length = end + 2;
  if (length > V1_MAX) return { kind: 'invalid', problem: 'PROXY v1 line longer than 107 bytes' };
  const parts = buf.subarray(0, end).toString('latin1').split(' ');
  if (parts[1] === 'UNKNOWN') return { kind: 'header', length };
  if (parts.length !== 6) return { kind: 'invalid', problem: 'PROXY v1 line without 6 fields' };
  const [, family, src, dst, sport, dport] = parts as [string, string, string, string, string, string];
  const valid = family === 'TCP4' ? isIPv4 : family === 'TCP6' ? isIPv6 : undefined;
  if (!valid) return { kind: 'invalid', problem: `PROXY v1 protocol "${family}"` };
  const srcPort = port(sport);
  if (!valid(src) || !valid(dst) || srcPort === undefined || port(dport) === undefined)
    return { kind: 'invalid', problem: 'PROXY v1 addresses or ports malformed' };
  return { kind: 'header', length, peer: { address: src, port: srcPort } };
}

function ipv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // The WHATWG URL parser writes IPv6 in its canonical short form (RFC 5952), as the kernel reports peers.
  return normalizeIp(new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1));
}

function parseV2(buf: Buffer): ProxyHeader {
  if (buf.length < V2_FIXED) return { kind: 'more' };
  const versionCommand = buf[12] as number;
  if (versionCommand >> 4 !== 2) return { kind: 'invalid', problem: 'PROXY v2 header with another version' };
  const command = versionCommand & 0x0f;
  if (command > 1) return { kind: 'invalid', problem: 'PROXY v2 header with an unknown command' };
  const length = V2_FIXED + buf.readUInt16BE(14);
  if (buf.length < length) return { kind: 'more' };
  // LOCAL: the balancer's own connection (a health check); the real peer stays.
  if (command === 0) return { kind: 'header', length };
  const family = (buf[13] as number) >> 4;
  const body = buf.subarray(V2_FIXED, length);
  if (family === 1) {
    if (body.length < 12) return { kind: 'invalid', problem: 'PROXY v2 IPv4 addresses truncated' };
    const address = [...body.subarray(0, 4)].join('.');
    return { kind: 'header', length, peer: { address, port: body.readUInt16BE(8) } };
  }
  if (family === 2) {
    if (body.length < 36) return { kind: 'invalid', problem: 'PROXY v2 IPv6 addresses truncated' };
    return {
      kind: 'header',
      length,
      peer: { address: ipv6(body.subarray(0, 16)), port: body.readUInt16BE(32) },
    };
  }
  // AF_UNSPEC and AF_UNIX carry no IP: the connection keeps its own peer, as go-proxyproto does.
  return { kind: 'header', length };
}

/** Reads a PROXY protocol v1 or v2 header at the start of `buf` (pure; see ProxyHeader). */
export function parseProxyHeader(buf: Buffer): ProxyHeader {
  if (buf.length === 0) return { kind: 'more' };
  if (startsLike(buf, V1_PREFIX)) return buf.length < V1_PREFIX.length ? { kind: 'more' } : parseV1(buf);
  if (startsLike(buf, V2_SIGNATURE))
    return buf.length < V2_SIGNATURE.length ? { kind: 'more' } : parseV2(buf);
  return { kind: 'none' };
}

/** Makes `peer` the socket's remote address and port for every later reader. */
export function setPeer(socket: Socket, peer: ProxiedPeer): void {
  Object.defineProperty(socket, 'remoteAddress', { value: peer.address, configurable: true });
  Object.defineProperty(socket, 'remotePort', { value: peer.port, configurable: true });
}

/**
 * A TLS socket reads its peer from the kernel, not from the raw socket it wraps: gives it the peer a PROXY
 * header set on that raw socket (`_parent`, Node's link from a server-side TLSSocket to its TCP socket).
 */
export function inheritPeer(socket: TLSSocket): void {
  const raw = (socket as unknown as { _parent?: Socket })._parent;
  if (raw && Object.hasOwn(raw, 'remoteAddress'))
    setPeer(socket, { address: raw.remoteAddress as string, port: raw.remotePort as number });
}

/** The policy of an entryPoint's `proxyProtocol`. */
export interface ProxyProtocolPolicy {
  /** Whether a peer's header is believed: trustedIPs, or always with `insecure`. */
  readonly trusted: (ip: string) => boolean;
}

/**
 * Reads an optional PROXY header from a new connection before anything else, then calls `done` (the
 * header consumed, the rest pushed back) and lets the bytes flow to the reader `done` attached. A malformed header, or none decided within
 * `timeoutMs` (Traefik's readTimeout), ends the connection.
 */
export function readProxyHeader(
  socket: Socket,
  policy: ProxyProtocolPolicy,
  timeoutMs: number,
  done: () => void,
): void {
  let buffered: Buffer = Buffer.alloc(0);
  const cleanup = () => {
    socket.off('data', onData);
    socket.off('end', fail);
    socket.off('error', fail);
    clearTimeout(deadline);
  };
  const fail = () => {
    cleanup();
    socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const header = parseProxyHeader(buffered);
    if (header.kind === 'more') return;
    if (header.kind === 'invalid') return fail();
    cleanup();
    socket.pause();
    if (header.kind === 'header') {
      const peerIp = normalizeIp(socket.remoteAddress ?? '');
      if (header.peer && policy.trusted(peerIp)) setPeer(socket, header.peer);
      buffered = buffered.subarray(header.length);
    }
    if (buffered.length > 0) socket.unshift(buffered);
    // `done` attaches the next reader (the protocol sniffer) synchronously; then the bytes flow to it.
    done();
    socket.resume();
  };
  socket.on('data', onData);
  socket.once('end', fail);
  socket.once('error', fail);
  const deadline = timeoutMs > 0 ? setTimeout(fail, timeoutMs) : undefined;
}
