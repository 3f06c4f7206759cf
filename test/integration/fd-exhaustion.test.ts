import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../helpers/backends.ts';

// A real Wharf under a low file descriptor limit (ulimit -n), flooded with connections until it runs out.
const BIN = join(import.meta.dirname, '../../bin/wharf.js');
const LIMIT = 64;

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}

let child: ChildProcess | undefined;
const sockets: Socket[] = [];

afterAll(async () => {
  for (const s of sockets) s.destroy();
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});

describe('running out of file descriptors', () => {
  it('is logged once when it starts and once when it ends, and Wharf keeps serving', async () => {
    const port = await freePort();
    const command = `ulimit -n ${LIMIT} && exec "${process.execPath}" "${BIN}" --entryPoints.web.address=127.0.0.1:${port} --log.format=json`;
    child = spawn('sh', ['-c', command], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '' },
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d));
    child.stderr?.on('data', (d: Buffer) => (out += d));
    const count = (text: string) => out.split('\n').filter((l) => l.includes(text)).length;
    await until(() => out.includes('entryPoint listening'), 'Wharf to listen', 20_000);

    for (let i = 0; i < LIMIT + 40; i++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => {});
      sockets.push(s);
    }
    await until(() => count('out of file descriptors (EMFILE)') > 0, 'the exhaustion log line', 10_000);
    for (const s of sockets) s.destroy();
    await until(() => count('file descriptors are available again') > 0, 'the recovery log line', 10_000);

    const res = await request(`http://127.0.0.1:${port}/`);
    expect(res.statusCode).toBe(404); // no router: but served
    await res.body.dump();
    expect(child.exitCode).toBe(null);
    expect(count('out of file descriptors')).toBe(1);
    expect(count('file descriptors are available again')).toBe(1);
  });
});
