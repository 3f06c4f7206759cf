import { request as httpRequest, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { WharfError } from '../../config/errors.ts';
import type { ErrorsOptions } from '../../config/middlewares/errors.ts';
import { silentLogger } from '../../core/log.ts';
import { type Backend, startServer } from '../../test/helpers/backends.ts';
import type { Handler } from '../middleware.ts';
import { setRequestState } from '../request-state.ts';
import { createErrors } from './errors.ts';

const servers: Backend[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

interface PageSeen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** A loopback server: requests go through errors(options) to `backend`; pages come from `page`. */
async function serve(
  options: Omit<ErrorsOptions, 'service'>,
  backend: (res: ServerResponse) => void | Promise<void>,
  page: Handler = async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html', 'x-page': '1' });
    res.end('<h1>error page</h1>');
  },
): Promise<{ url: string; seen: PageSeen[] }> {
  const seen: PageSeen[] = [];
  const recording: Handler = async (req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers } });
    await page(req, res);
  };
  const handler = createErrors(
    { ...options, service: 'pages' },
    recording,
    silentLogger(),
  )(async (_r, res) => backend(res));
  const s = await startServer((req, res) => {
    setRequestState(req, {
      entryPoint: 'web',
      scheme: 'http',
      clientIp: '127.0.0.1',
      start: 0n,
      originalUrl: '/',
    });
    handler(req, res).catch(() => res.destroy());
  });
  servers.push(s);
  return { url: s.url, seen };
}

function fetchRaw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const answer =
  (status: number, body = 'backend body', headers: Record<string, string> = { 'x-backend': '1' }) =>
  (res: ServerResponse) => {
    res.writeHead(status, headers);
    res.end(body);
  };

describe('errors middleware', () => {
  it.each([
    { name: 'caught 404', status: ['404'], backend: 404, sent: 404, page: true },
    { name: 'caught in range', status: ['500-599'], backend: 503, sent: 503, page: true },
    { name: 'not caught', status: ['500-599'], backend: 404, sent: 404, page: false },
    { name: '200 passes', status: ['400-599'], backend: 200, sent: 200, page: false },
    { name: 'no status: nothing caught', status: [], backend: 500, sent: 500, page: false },
  ])('$name', async ({ status, backend, sent, page }) => {
    const { url, seen } = await serve({ status, query: '/{status}.html' }, answer(backend));
    const r = await fetchRaw(`${url}/x`);
    expect(r.status).toBe(sent);
    if (page) {
      expect(r.body).toBe('<h1>error page</h1>');
      expect(r.headers['content-type']).toBe('text/html');
      expect(r.headers['x-page']).toBe('1');
      // The caught response's headers are dropped with its body, as Traefik drops them.
      expect(r.headers['x-backend']).toBeUndefined();
      expect(seen).toHaveLength(1);
      expect(seen[0]?.url).toBe(`/${backend}.html`);
    } else {
      expect(r.body).toBe('backend body');
      expect(r.headers['x-backend']).toBe('1');
      expect(seen).toHaveLength(0);
    }
  });

  it('catches a status set implicitly (statusCode, then write and end)', async () => {
    const { url } = await serve({ status: ['503'] }, (res) => {
      res.statusCode = 503;
      res.setHeader('x-backend', '1');
      res.write('part');
      res.end('rest');
    });
    const r = await fetchRaw(url);
    expect(r).toMatchObject({ status: 503, body: '<h1>error page</h1>' });
    expect(r.headers['x-backend']).toBeUndefined();
  });

  it('rewrites the status and templates the query', async () => {
    const { url, seen } = await serve(
      {
        status: ['418', '500-599'],
        statusRewrites: { '418': 404 },
        query: '/e/{status}?was={originalStatus}&u={url}',
      },
      answer(418),
    );
    const r = await fetchRaw(`${url}/a/b?c=d`, { headers: { host: 'site.test' } });
    expect(r.status).toBe(404);
    expect(seen[0]?.url).toBe(`/e/404?was=418&u=${encodeURIComponent('http://site.test/a/b?c=d')}`);
  });

  it('asks for the page with GET, the client Host and headers, and no body', async () => {
    const { url, seen } = await serve({ status: ['500'] }, answer(500));
    await fetchRaw(url, {
      method: 'POST',
      headers: { host: 'site.test', 'x-client': 'a', 'content-type': 'text/plain' },
      body: 'payload',
    });
    const s = seen[0] as PageSeen;
    expect(s.method).toBe('GET');
    expect(s.url).toBe('/');
    expect(s.headers).toMatchObject({ host: 'site.test', 'x-client': 'a', 'content-type': 'text/plain' });
    expect(s.headers['content-length']).toBeUndefined();
  });

  it.each([
    { only: [], kept: [], dropped: ['x-a', 'x-b'] },
    { only: ['X-A'], kept: ['x-a'], dropped: ['x-b'] },
  ])('errorRequestHeaders $only forwards only those (and Host)', async ({ only, kept, dropped }) => {
    const { url, seen } = await serve({ status: ['500'], errorRequestHeaders: only }, answer(500));
    await fetchRaw(url, { headers: { host: 'site.test', 'x-a': '1', 'x-b': '2' } });
    const h = seen[0]?.headers ?? {};
    expect(h.host).toBe('site.test');
    for (const k of kept) expect(h[k]).toBeDefined();
    for (const k of dropped) expect(h[k]).toBeUndefined();
  });

  it('a page service answering an error still goes out with the original status', async () => {
    const { url } = await serve({ status: ['503'] }, answer(503), async (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('Bad Gateway');
    });
    expect(await fetchRaw(url)).toMatchObject({ status: 503, body: 'Bad Gateway' });
  });

  it.each([
    { thrown: new WharfError('UPSTREAM_TIMEOUT', { server: 'p', problem: 'slow' }), body: 'Gateway Timeout' },
    { thrown: new Error('boom'), body: 'Internal Server Error' },
  ])(
    'a page service that throws degrades to the status and the failure text $body',
    async ({ thrown, body }) => {
      const { url } = await serve(
        { status: ['500-599'], statusRewrites: { '500-599': 502 } },
        answer(504),
        async () => {
          throw thrown;
        },
      );
      const r = await fetchRaw(url);
      expect(r).toMatchObject({ status: 502, body });
      expect(r.headers['x-backend']).toBeUndefined();
    },
  );

  it('a failure the proxy throws (unreachable: 502) gets the error page when 502 is caught', async () => {
    const { url, seen } = await serve({ status: ['502'], query: '/{status}' }, () => {
      throw new WharfError('UPSTREAM_UNREACHABLE', { server: 'x', problem: 'refused' });
    });
    expect(await fetchRaw(url)).toMatchObject({ status: 502, body: '<h1>error page</h1>' });
    expect(seen[0]?.url).toBe('/502');
  });

  it.each([
    [
      'a status not caught',
      ['500'],
      new WharfError('UPSTREAM_UNREACHABLE', { server: 'x', problem: 'refused' }),
    ],
    ['a client that left', ['400-599'], new WharfError('CLIENT_CLOSED')],
    ['an unexpected error', ['500'], new Error('bug')],
  ])('%s is thrown on, not served a page', async (_name, status, thrown) => {
    const { url, seen } = await serve({ status }, () => {
      throw thrown;
    });
    // The test server destroys the response on a rejection: the client sees the connection end.
    await expect(fetchRaw(url)).rejects.toThrow();
    expect(seen).toHaveLength(0);
  });

  it('a status outside the list streams through untouched', async () => {
    const { url } = await serve({ status: ['500'] }, (res) => {
      res.statusCode = 201;
      res.write('a');
      res.end('b');
    });
    expect(await fetchRaw(url)).toMatchObject({ status: 201, body: 'ab' });
  });
});
