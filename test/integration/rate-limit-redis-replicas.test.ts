import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePort } from '../acme/pebble.ts';
import { type Backend, startServer } from '../helpers/backends.ts';
import { programEnv } from '../helpers/program-env.ts';
import { ensureRedis, type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { get } from '../helpers/wharf.ts';

// The point of rateLimit.redis: several Wharf processes (bin/wharf.js, each its own process with its own
// connection) on one real Redis enforce one limit together.

const skip = await ensureRedis();
const BIN = join(import.meta.dirname, '../../bin/wharf.js');

let backend: Backend;
let redis: RedisServer;
let dir = '';
const processes: WharfProcess[] = [];

beforeAll(async () => {
  if (skip !== undefined) return;
  backend = await startServer((_req, res) => res.end('ok'));
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'wharf-redis-replicas-'));
});
afterAll(async () => {
  await Promise.all(processes.map((p) => stopProcess(p.child)));
  await redis?.remove();
  await backend?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** A Wharf process (bin/wharf.js) serving `dynamic` from a file on a port of its own. */
interface WharfProcess {
  readonly base: string;
  readonly child: ChildProcess;
  output: string;
}

async function spawnWharf(dir: string, index: number, config: unknown): Promise<WharfProcess> {
  const port = await freePort();
  const file = join(dir, `dynamic-${index}.yml`);
  writeFileSync(file, stringify(config));
  const child = spawn(
    process.execPath,
    [
      BIN,
      `--entryPoints.web.address=127.0.0.1:${port}`,
      `--providers.file.filename=${file}`,
      '--log.format=json',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: programEnv() },
  );
  const p: WharfProcess = { base: `http://127.0.0.1:${port}`, child, output: '' };
  child.stdout?.on('data', (d: Buffer) => (p.output += d));
  child.stderr?.on('data', (d: Buffer) => (p.output += d));
  return p;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  process.kill(child.pid, 'SIGTERM');
  await exited;
}

describe.skipIf(skip !== undefined)(`three Wharf processes on one Redis${skip ? ` (${skip})` : ''}`, () => {
  it('together admit burst + rate × time, not three times that', async () => {
    // A rate well below what six clients send even on a loaded machine, so the limit is what decides.
    const rate = 10;
    const burst = 5;
    const config = {
      http: {
        routers: {
          rl: { rule: 'Host(`rl.test`)', service: 'b', middlewares: ['limit'] },
          ready: { rule: 'Host(`ready.test`)', service: 'b' },
        },
        middlewares: {
          limit: {
            rateLimit: { average: rate, period: '1s', burst, redis: { endpoints: [redis.endpoint] } },
          },
        },
        services: { b: { loadBalancer: { servers: [{ url: backend.url }] } } },
      },
    };
    for (let i = 0; i < 3; i++) processes.push(await spawnWharf(dir, i, config));
    for (const p of processes) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const status = await get(p.base, '/', 'ready.test').then(
          (r) => r.status,
          () => 0,
        );
        if (status === 200) break;
        if (Date.now() > deadline)
          throw new Error(
            `Wharf at ${p.base} never served (exit ${p.child.exitCode} ${p.child.signalCode}):\n${p.output}`,
          );
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    const counts = processes.map(() => ({ admitted: 0, refused: 0, other: 0 }));
    let next = 0;
    const window = 3000;
    const started = performance.now();
    const worker = async () => {
      // Bounded in time (the window) and in count.
      for (let n = 0; n < 5000 && performance.now() - started < window; n++) {
        const i = next++ % processes.length;
        const res = await request(`${(processes[i] as WharfProcess).base}/`, {
          headers: { host: 'rl.test' },
        });
        await res.body.dump();
        const c = counts[i] as { admitted: number; refused: number; other: number };
        if (res.statusCode === 200) c.admitted++;
        else if (res.statusCode === 429) c.refused++;
        else c.other++;
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    const elapsed = (performance.now() - started) / 1000;

    const admitted = counts.reduce((s, c) => s + c.admitted, 0);
    const refused = counts.reduce((s, c) => s + c.refused, 0);
    // Tokens that can exist during the run: the burst, the refill over the elapsed time, and the longest
    // wait a request may be held for its token (1 / (2 × rate)).
    const most = burst + rate * (elapsed + 1 / (2 * rate));
    const detail = JSON.stringify({ counts, elapsed, most });
    expect(
      counts.every((c) => c.other === 0),
      detail,
    ).toBe(true);
    // Three limits of their own would admit about three times as much.
    expect(admitted, detail).toBeLessThanOrEqual(Math.ceil(most));
    // Six clients never idle use the refill too (half of it, for a loaded machine).
    expect(admitted, detail).toBeGreaterThanOrEqual(burst + Math.floor((rate * elapsed) / 2));
    expect(refused, detail).toBeGreaterThan(0);
    // Every process took part: each admitted some and refused some.
    expect(
      counts.every((c) => c.admitted > 0 && c.refused > 0),
      detail,
    ).toBe(true);
  }, 90_000);
});
