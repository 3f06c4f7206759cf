import type { Socket } from 'node:net';

/** Pipes a client socket to an upstream socket both ways, tracking both in `open`; an error on either closes both. */
export function relay(client: Socket, upstream: Socket, open: Set<Socket>): void {
  for (const s of [client, upstream]) {
    open.add(s);
    s.on('close', () => open.delete(s));
    s.on('error', () => {
      client.destroy();
      upstream.destroy();
    });
  }
  client.pipe(upstream).pipe(client);
}
