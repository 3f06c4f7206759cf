import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import { type DnsMessage, decodeMessage } from './wire.ts';

// Sending one DNS message and reading its answer: UDP first, TCP when the answer is truncated, as lego's
// client does. Each exchange has its own socket, so nothing outlives an order.

/** A nameserver: host (an IP or a name) and port. */
export interface Nameserver {
  readonly host: string;
  readonly port: number;
}

/** `host`, `host:port`, `[v6]` or `[v6]:port` (lego's format; the port defaults to 53). */
export function parseNameserver(text: string): Nameserver {
  const s = text.trim();
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return { host: v6[1] as string, port: v6[2] ? Number(v6[2]) : 53 };
  if (isIPv6(s)) return { host: s, port: 53 };
  const m = /^([^:]+)(?::(\d+))?$/.exec(s);
  if (!m || (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)))
    throw new Error(`"${text}" is not a nameserver (host or host:port)`);
  return { host: m[1] as string, port: m[2] ? Number(m[2]) : 53 };
}

/** `host:port` as shown in messages. */
export const showNameserver = (ns: Nameserver) =>
  isIPv6(ns.host) ? `[${ns.host}]:${ns.port}` : `${ns.host}:${ns.port}`;

/** A new random message ID. */
export const newId = () => randomInt(0, 0x10000);

function udp(ns: Nameserver, wire: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIPv6(ns.host) ? 'udp6' : 'udp4');
    const id = wire.readUInt16BE(0);
    const done = (err: Error | undefined, answer?: Buffer) => {
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(answer as Buffer);
    };
    const timer = setTimeout(
      () => done(new Error(`${showNameserver(ns)}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('error', (err) => done(new Error(`${showNameserver(ns)}: ${err.message}`)));
    // Answers with another ID (late answers to earlier queries) are not ours.
    socket.on('message', (msg) => msg.length >= 2 && msg.readUInt16BE(0) === id && done(undefined, msg));
    socket.send(wire, ns.port, ns.host);
  });
}

function tcp(ns: Nameserver, wire: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: ns.host, port: ns.port });
    let data = Buffer.alloc(0);
    const done = (err: Error | undefined, answer?: Buffer) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(answer as Buffer);
    };
    const timer = setTimeout(
      () => done(new Error(`${showNameserver(ns)} (TCP): no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('error', (err) => done(new Error(`${showNameserver(ns)} (TCP): ${err.message}`)));
    socket.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(wire.length);
      socket.write(Buffer.concat([len, wire]));
    });
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0))
        done(undefined, data.subarray(2, 2 + data.readUInt16BE(0)));
    });
    socket.on('end', () => done(new Error(`${showNameserver(ns)} (TCP): closed before answering`)));
  });
}

/**
 * Sends `wire` to `ns` and returns the raw answer and its decoding: over UDP, again over TCP when the answer
 * is truncated. Throws when there is no answer within `timeoutMs`.
 */
export async function exchange(
  ns: Nameserver,
  wire: Buffer,
  timeoutMs: number,
): Promise<{ raw: Buffer; message: DnsMessage }> {
  let raw = await udp(ns, wire, timeoutMs);
  let message = decodeMessage(raw);
  if (message.flags.tc) {
    raw = await tcp(ns, wire, timeoutMs);
    message = decodeMessage(raw);
  }
  return { raw, message };
}
