import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { CountingResponse } from '../access-log/counting-response.ts';

/** The raw client connection of an Upgrade request, as Node hands it to the server's `upgrade` event. */
export interface UpgradeSocket {
  socket: Duplex;
  head: Buffer;
}

/**
 * Wires a server's `upgrade` event into the normal request flow: creates a ServerResponse on the raw socket
 * (so middlewares can still answer with a redirect or an error) and calls `onUpgrade`, which stores the
 * socket in the request state and runs the handler. A response written through `res` closes the socket
 * when it finishes; a forwarded 101 detaches `res` and tunnels the socket instead.
 */
export function attachUpgradeHandling(
  server: Server,
  onUpgrade: (req: IncomingMessage, res: ServerResponse, upgrade: UpgradeSocket) => void,
): void {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node removed its own error listener when it handed the socket over; a reset must not crash.
    socket.on('error', () => socket.destroy());
    const res = new CountingResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    // Once the response is out, close the connection; the socket's 'close' then emits the response's
    // 'close' as in Node's own request flow.
    res.on('finish', () => {
      const s = socket as Partial<Socket> & Duplex;
      if (typeof s.destroySoon === 'function') s.destroySoon();
      else s.end();
    });
    onUpgrade(req, res, { socket, head });
  });
}

const DROPPED_101_HEADERS = new Set(['keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding']);

/**
 * Serializes a 101 response head for the raw client socket: the upstream's raw headers (casing kept) minus
 * framing hop-by-hop headers, plus headers middlewares set on `res` that the upstream did not send.
 */
export function switchingProtocolsHead(
  rawHeaders: readonly (Buffer | string)[],
  extra: Readonly<Record<string, number | string | string[] | undefined>>,
): string {
  let head = 'HTTP/1.1 101 Switching Protocols\r\n';
  const seen = new Set<string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = String(rawHeaders[i]);
    const lower = name.toLowerCase();
    if (DROPPED_101_HEADERS.has(lower)) continue;
    seen.add(lower);
    head += `${name}: ${(rawHeaders[i + 1] as Buffer | string).toString('latin1')}\r\n`;
  }
  for (const name in extra) {
    const value = extra[name];
    if (value === undefined || seen.has(name)) continue;
    for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${v}\r\n`;
  }
  return `${head}\r\n`;
}

/** True once a stream has emitted 'close' (or was destroyed before we could listen for it). */
function isClosed(s: Duplex): boolean {
  return s.closed || s.destroyed;
}

/**
 * Joins the client and upstream sockets after a 101: writes `responseHead` (unless the 101 already went out
 * through the ServerResponse) to the client and the bytes the
 * client sent past its request head (`head`) to the upstream, then pipes both ways. Either side ending,
 * closing or failing destroys both, so no descriptor outlives the tunnel. Resolves when both are closed.
 */
export function tunnel(
  client: Duplex,
  head: Buffer,
  upstream: Duplex,
  responseHead: string | undefined,
): Promise<void> {
  return new Promise((resolve) => {
    let open = 2;
    const closed = (): void => {
      if (--open === 0) resolve();
    };
    const destroyBoth = (): void => {
      client.destroy();
      upstream.destroy();
    };
    // Errors end the tunnel; there is nobody left to report them to but the access log's duration.
    client.on('error', destroyBoth);
    upstream.on('error', destroyBoth);
    if (isClosed(client) || isClosed(upstream)) {
      destroyBoth();
      resolve();
      return;
    }
    client.once('close', () => {
      upstream.destroy();
      closed();
    });
    upstream.once('close', () => {
      client.destroy();
      closed();
    });
    if (responseHead !== undefined) client.write(responseHead);
    if (head.length > 0) upstream.write(head);
    // As Go's ReverseProxy: the first side to finish sending ends the tunnel, once its last bytes are out.
    // Half-open sockets would otherwise linger while a peer that never closes keeps its half open.
    upstream.pipe(client, { end: false });
    client.pipe(upstream, { end: false });
    upstream.once('end', () => client.end(destroyBoth));
    client.once('end', () => upstream.end(destroyBoth));
  });
}
