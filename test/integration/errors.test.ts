import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startServer } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// The errors middleware through a running router: a backend answering 404 and 503, an error-page service
// that shows what it was asked, a page service that is down, and one that does not exist.

function backendHandler(req: IncomingMessage, res: ServerResponse): void {
  const status = req.url === '/missing' ? 404 : req.url === '/down' ? 503 : 200;
  res.writeHead(status, { 'content-type': 'text/plain', 'x-backend': 'yes' });
  res.end(`backend ${status}`);
}

function pagesHandler(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(`<p>page ${req.method} ${req.url} host=${req.headers.host} client=${req.headers['x-client']}</p>`);
}

describe('errors middleware', () => {
  let backend: Backend;
  let pages: Backend;
  let w: TestWharf;
  const lb = (url: string) => ({ loadBalancer: { servers: [{ url }] } });
  beforeAll(async () => {
    backend = await startServer(backendHandler);
    pages = await startServer(pagesHandler);
    w = await startWharf({
      http: {
        routers: {
          app: { rule: 'Host(`app.test`)', service: 'app', middlewares: ['pages'] },
          rewrite: { rule: 'Host(`rw.test`)', service: 'app', middlewares: ['rewrite'] },
          broken: { rule: 'Host(`broken.test`)', service: 'app', middlewares: ['broken'] },
          ghost: { rule: 'Host(`ghost.test`)', service: 'app', middlewares: ['ghost'] },
          unreachable: { rule: 'Host(`gone.test`)', service: 'deadPages', middlewares: ['pages'] },
        },
        services: { app: lb(backend.url), errorPages: lb(pages.url), deadPages: lb('http://127.0.0.1:1') },
        middlewares: {
          pages: {
            errors: { status: ['404', '500-599'], service: 'errorPages', query: '/{status}.html?from={url}' },
          },
          rewrite: {
            errors: {
              status: ['500-599'],
              statusRewrites: { '503': 500 },
              service: 'errorPages',
              query: '/{status}-{originalStatus}.html',
            },
          },
          broken: { errors: { status: ['500-599'], service: 'deadPages' } },
          ghost: { errors: { status: ['500-599'], service: 'nowhere' } },
        },
      },
    });
  });
  afterAll(async () => {
    await w?.stop();
    await backend?.close();
    await pages?.close();
  });

  it.each([
    ['/missing', 404, `/404.html?from=${encodeURIComponent('http://app.test/missing')}`],
    ['/down', 503, `/503.html?from=${encodeURIComponent('http://app.test/down')}`],
  ])('%s: the page from the error service, with the original status %d', async (path, status, pageUrl) => {
    const r = await get(w.web, path, 'app.test', { 'x-client': 'c1' });
    expect({
      status: r.status,
      type: r.headers['content-type'],
      backend: r.headers['x-backend'],
      text: r.text,
    }).toEqual({
      status,
      type: 'text/html',
      backend: undefined,
      text: `<p>page GET ${pageUrl} host=app.test client=c1</p>`,
    });
  });

  it('a backend that cannot be reached (502, which Traefik also catches) gets the error page', async () => {
    const r = await get(w.web, '/x', 'gone.test');
    expect([r.status, r.text]).toEqual([
      502,
      `<p>page GET /502.html?from=${encodeURIComponent('http://gone.test/x')} host=gone.test client=undefined</p>`,
    ]);
  });

  it('other statuses pass through untouched', async () => {
    const r = await get(w.web, '/ok', 'app.test');
    expect([r.status, r.headers['x-backend'], r.text]).toEqual([200, 'yes', 'backend 200']);
  });

  it('statusRewrites changes the status sent and {status}; {originalStatus} keeps the backend one', async () => {
    const r = await get(w.web, '/down', 'rw.test');
    expect([r.status, r.text]).toEqual([500, '<p>page GET /500-503.html host=rw.test client=undefined</p>']);
  });

  it('a page service that cannot be reached answers with the original status and its error text', async () => {
    const r = await get(w.web, '/down', 'broken.test');
    expect([r.status, r.text]).toEqual([503, 'Bad Gateway']);
  });

  it('a missing page service disables the middleware and its router, with a diagnostic', async () => {
    expect((await get(w.web, '/down', 'ghost.test')).status).toBe(404);
    const m = await w.getJson<{ status: string; error?: string[] }>('/api/http/middlewares/ghost@file');
    expect(m.body.status).toBe('disabled');
    expect(m.body.error).toEqual([
      'middleware "ghost@file": errors.service names "nowhere@file", which does not exist; define that service or name another',
    ]);
  });
});
