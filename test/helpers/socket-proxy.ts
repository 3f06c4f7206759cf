import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { relay } from './relay.ts';

/** A unix-socket relay to the Docker Engine that a test can cut (an outage) and restore. */
export interface SocketProxy {
  /** unix:// URL to give the Docker provider. */
  readonly url: string;
  /** Drops every connection and refuses new ones, as a stopped daemon would. */
  cut(): void;
  /** Accepts and relays connections again. */
  restore(): void;
  /** Connections refused while cut: each one a client's attempt to reach the engine during the outage. */
  readonly refused: number;
  close(): Promise<void>;
}

/** Starts a relay in front of `target` (a `unix://` Docker host). */
export async function startSocketProxy(target: string): Promise<SocketProxy> {
  if (!target.startsWith('unix://')) throw new Error(`socket proxy needs a unix:// engine, got ${target}`);
  const targetPath = target.slice('unix://'.length);
  const dir = mkdtempSync(join(tmpdir(), 'wharf-sockproxy-'));
  const path = join(dir, 'docker.sock');
  const open = new Set<Socket>();
  let refusing = false;
  let refused = 0;
  const server = createServer((client) => {
    if (refusing) {
      refused++;
      client.destroy();
      return;
    }
    relay(client, connect(targetPath), open);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    url: `unix://${path}`,
    cut() {
      refusing = true;
      for (const s of open) s.destroy();
    },
    restore() {
      refusing = false;
    },
    get refused() {
      return refused;
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
