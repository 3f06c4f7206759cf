import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { WharfError } from '../../config/errors.ts';
import { startServer } from '../../test/helpers/backends.ts';
import { renderError, statusOf } from './render-error.ts';

describe('renderError', () => {
  const errors: unknown[] = [
    new WharfError('UPSTREAM_TIMEOUT', { server: 's', problem: 'p' }),
    new Error('boom'),
  ];
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of closers) await c();
  });

  it('maps WharfErrors to their status and others to 500', () => {
    expect(statusOf(errors[0])).toBe(504);
    expect(statusOf(new WharfError('CLIENT_CLOSED'))).toBe(499);
    expect(statusOf(errors[1])).toBe(500);
  });

  it('writes a one-line plain-text body, or breaks a response already started', async () => {
    const server = await startServer((req, res) => {
      if (req.url === '/started') {
        res.writeHead(200);
        res.write('partial');
      }
      renderError(res, errors[req.url === '/timeout' ? 0 : 1]);
    });
    closers.push(server.close);
    const timeout = await request(`${server.url}/timeout`);
    expect(timeout.statusCode).toBe(504);
    expect(timeout.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(await timeout.body.text()).toBe('504 Gateway Timeout\n');
    const internal = await request(`${server.url}/x`);
    expect(await internal.body.text()).toBe('500 Internal Server Error\n');
    // The connection is cut: the client sees an error either before or while reading the body.
    const started = (async () => (await request(`${server.url}/started`)).body.text())();
    await expect(started).rejects.toThrow();
  });
});
