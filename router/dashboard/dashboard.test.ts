import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticConfigSchema } from '../../config/static.ts';
import type { InternalHandler } from '../http/entry-point-options.ts';
import { createDashboardHandler, DASHBOARD_CSP, forwardedPrefix } from './dashboard.ts';

/** Serves `handler` on loopback; paths it declines answer 418, so a test sees who answered. */
async function serve(handler: InternalHandler): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (!handler(req, res)) {
      res.statusCode = 418;
      res.end('declined');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const staticConfig = StaticConfigSchema.parse({ providers: { docker: { labelPrefix: 'traefik' } } });

describe('dashboard handler', () => {
  let base: { url: string; server: Server };
  let prefixed: { url: string; server: Server };
  beforeAll(async () => {
    base = await serve(createDashboardHandler({ staticConfig }));
    prefixed = await serve(createDashboardHandler({ staticConfig, basePath: '/traefik/' }));
  });
  afterAll(() => {
    base.server.close();
    prefixed.server.close();
  });

  const cases: Array<{
    what: string;
    prefixed?: boolean;
    path: string;
    method?: string;
    headers?: Record<string, string>;
    status: number;
    location?: string;
    type?: string;
  }> = [
    { what: 'the root redirects to the page', path: '/', status: 302, location: '/dashboard/' },
    {
      what: '/dashboard redirects, keeping the query',
      path: '/dashboard?x=1',
      status: 302,
      location: '/dashboard/?x=1',
    },
    {
      what: 'a proxy prefix is kept in the redirect',
      path: '/dashboard',
      headers: { 'x-forwarded-prefix': '/ops/' },
      status: 302,
      location: '/ops/dashboard/',
    },
    {
      what: 'a prefix naming another host is dropped',
      path: '/',
      headers: { 'x-forwarded-prefix': '//evil.example/x' },
      status: 302,
      location: '/dashboard/',
    },
    { what: 'the page', path: '/dashboard/', status: 200, type: 'text/html; charset=utf-8' },
    { what: 'a module', path: '/dashboard/app.js', status: 200, type: 'text/javascript; charset=utf-8' },
    { what: 'the stylesheet', path: '/dashboard/style.css', status: 200, type: 'text/css; charset=utf-8' },
    {
      what: 'the fixes and key spellings',
      path: '/dashboard/meta.json',
      status: 200,
      type: 'application/json',
    },
    { what: 'HEAD', path: '/dashboard/', method: 'HEAD', status: 200, type: 'text/html; charset=utf-8' },
    { what: 'an unknown file', path: '/dashboard/nope.js', status: 404 },
    { what: 'a file outside the page', path: '/dashboard/..%2fdashboard.ts', status: 404 },
    { what: 'a test file next to the page', path: '/dashboard/metrics.test.ts', status: 404 },
    { what: 'the TypeScript declarations', path: '/dashboard/types.d.ts', status: 404 },
    { what: 'a write', path: '/dashboard/', method: 'POST', status: 405 },
    { what: 'the API is not the page’s', path: '/api/overview', status: 418 },
    { what: 'a look-alike path', path: '/dashboards', status: 418 },
    { what: 'under api.basePath', prefixed: true, path: '/traefik/dashboard/', status: 200 },
    {
      what: 'basePath root redirects',
      prefixed: true,
      path: '/traefik',
      status: 302,
      location: '/traefik/dashboard/',
    },
    { what: 'not at / with a basePath', prefixed: true, path: '/dashboard/', status: 418 },
  ];
  it.each(cases)('$what: $method $path → $status', async (c) => {
    const res = await request((c.prefixed ? prefixed : base).url + c.path, {
      method: (c.method ?? 'GET') as 'GET',
      headers: c.headers ?? {},
    });
    await res.body.text();
    expect(res.statusCode).toBe(c.status);
    if (c.location !== undefined) expect(res.headers.location).toBe(c.location);
    if (c.type !== undefined) expect(res.headers['content-type']).toBe(c.type);
    if (c.status === 200) {
      expect(res.headers['content-security-policy']).toBe(DASHBOARD_CSP);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('answers 304 to a revalidation with the same ETag', async () => {
    const first = await request(`${base.url}/dashboard/app.js`);
    await first.body.text();
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await request(`${base.url}/dashboard/app.js`, { headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(await again.body.text()).toBe('');
  });

  it('meta.json carries the fixes and the providers’ key spellings', async () => {
    const res = await request(`${base.url}/dashboard/meta.json`);
    const meta = (await res.body.json()) as {
      labelPrefix: string;
      rootKey: string;
      fixes: Record<string, unknown>;
    };
    expect(meta.labelPrefix).toBe('traefik');
    expect(meta.rootKey).toBe('wharf');
    expect(meta.fixes.RULE_SYNTAX).toEqual({
      field: 'rule',
      fix: expect.stringContaining('Correct the rule'),
    });
  });

  it('the page refers only to its own files (no CDN, no other origin)', async () => {
    const res = await request(`${base.url}/dashboard/`);
    const html = await res.body.text();
    const refs = [...html.matchAll(/(?:src|href)="([^#"][^"]*)"/g)].map((m) => m[1]);
    expect(refs).toEqual(['data:,', './style.css', './app.js']);
  });
});

describe('forwardedPrefix', () => {
  it.each([
    [undefined, ''],
    ['', ''],
    ['/ops', '/ops'],
    ['/ops/', '/ops'],
    ['ops', '/ops'],
    ['/a/b', '/a/b'],
    ['//evil.example', ''],
    ['http://evil.example', ''],
    ['javascript:alert(1)', ''],
    ['/a\\b', ''],
    ['/a b', ''],
  ] as const)('%s → %s', (input, expected) => {
    expect(forwardedPrefix(input as string | undefined)).toBe(expected);
  });

  it('takes the first of repeated headers', () => {
    expect(forwardedPrefix(['/one', '/two'])).toBe('/one');
  });
});
