import { describe, expect, it } from 'vitest';
import { startServer, until } from '../../test/helpers/backends.ts';
import { DEFAULT_POOL_SETTINGS, idleCap, originOf, UpstreamPools } from './upstream-pools.ts';

describe('UpstreamPools', () => {
  it('shares one pool per origin and closes it with the last reference', async () => {
    const pools = new UpstreamPools({ connections: 4 });
    const a = pools.acquire('http://127.0.0.1:8080');
    const b = pools.acquire('http://127.0.0.1:8080/ignored/path');
    const c = pools.acquire('http://127.0.0.1:8081');
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(pools.size).toBe(2);
    pools.release('http://127.0.0.1:8080');
    expect(pools.size).toBe(2);
    expect(a.closed).toBe(false);
    pools.release('http://127.0.0.1:8080');
    expect(pools.size).toBe(1);
    expect(a.closed).toBe(true);
    pools.release('http://127.0.0.1:8080'); // unknown origin: no-op
    const again = pools.acquire('http://127.0.0.1:8080');
    expect(again).not.toBe(a);
    await pools.close();
    expect(pools.size).toBe(0);
    expect(c.closed).toBe(true);
  });

  it('keeps one pool per origin and transport settings', async () => {
    const pools = new UpstreamPools();
    const fast = { connectTimeoutMs: 1000, idleTimeoutMs: 5000 };
    const a = pools.acquire('http://127.0.0.1:8080');
    const b = pools.acquire('http://127.0.0.1:8080', DEFAULT_POOL_SETTINGS);
    const c = pools.acquire('http://127.0.0.1:8080', fast);
    const d = pools.acquire('http://127.0.0.1:8080', { ...fast });
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(d).toBe(c);
    pools.release('http://127.0.0.1:8080', fast);
    pools.release('http://127.0.0.1:8080', fast);
    expect(c.closed).toBe(true);
    expect(a.closed).toBe(false);
    await pools.close();
  });

  it('drops clients whose connection closed, so a burst leaves at most a spare client behind', async () => {
    const backend = await startServer((_req, res) => {
      res.setHeader('connection', 'close');
      setTimeout(() => res.end('ok'), 20);
    });
    const pools = new UpstreamPools();
    const pool = pools.acquire(backend.url);
    const clients = () => {
      const key = Object.getOwnPropertySymbols(pool).find((s) => s.description === 'clients') as symbol;
      return ((pool as unknown as Record<symbol, unknown[]>)[key] ?? []).length;
    };
    const get = async () => (await pool.request({ path: '/', method: 'GET' })).body.text();
    expect(await Promise.all(Array.from({ length: 50 }, get))).toEqual(Array(50).fill('ok'));
    expect(backend.connections.total).toBe(50);
    // undici keeps one spare client ready (not connected) once all others were busy.
    await until(() => clients() <= 1, 'the closed clients to be dropped');
    expect(await get()).toBe('ok');
    await pools.close();
    await backend.close();
  });

  it('maxIdleConnsPerHost: idle connections past the cap close, the others stay for reuse', async () => {
    const backend = await startServer((_req, res) => {
      setTimeout(() => res.end('ok'), 20);
    });
    const pools = new UpstreamPools();
    const pool = pools.acquire(backend.url, { ...DEFAULT_POOL_SETTINGS, maxIdleConnsPerHost: 2 });
    const get = async () => (await pool.request({ path: '/', method: 'GET' })).body.text();
    expect(await Promise.all(Array.from({ length: 6 }, get))).toEqual(Array(6).fill('ok'));
    expect(backend.connections.total).toBe(6);
    await until(() => backend.connections.open === 2, 'the idle connections past 2 to close', 10_000);
    expect(await get()).toBe('ok');
    expect(backend.connections.total).toBe(6); // reused a kept connection
    await pools.close();
    await backend.close();
  });

  it.each([
    { value: undefined, cap: 200 },
    { value: 0, cap: 200 },
    { value: -1, cap: 200 }, // negative: no reuse at all, per request (forward.ts)
    { value: 5, cap: 5 },
  ])('idleCap($value) = $cap', ({ value, cap }) => {
    expect(idleCap(value)).toBe(cap);
  });

  it('normalizes origins', () => {
    expect(originOf('http://Example.TEST:80/x')).toBe('http://example.test');
    expect(originOf('https://[::1]:8443')).toBe('https://[::1]:8443');
  });
});
