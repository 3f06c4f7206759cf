import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// Regexps written in rules run on RE2 (core/regexp): an input that sends a backtracking engine into
// exponential time is answered like any other, and the requests of other routers are served meanwhile.
// With JavaScript's RegExp, the two hostile requests below kept the event loop busy for about a minute
// (8.4 s for 30 characters, doubling with each one), so this test failed by its timeout.

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

async function named(name: string): Promise<string> {
  const b = await startServer((req, res) => req.resume().on('end', () => res.end(name)));
  cleanup.push(() => b.close());
  return b.url;
}

describe('regexp rules under hostile input', () => {
  it('answers pathological paths and hosts, and serves another router at the same time', async () => {
    const regexp = await named('regexp');
    const other = await named('other');
    const w: TestWharf = await startWharf({
      http: {
        routers: {
          nested: { rule: 'PathRegexp(`^/(a+)+$`)', service: 'regexp' },
          labels: { rule: 'HostRegexp(`^([a-z0-9]+-?)+\\.example\\.com$`)', service: 'regexp' },
          other: { rule: 'Host(`other.test`)', service: 'other' },
        },
        services: {
          regexp: { loadBalancer: { servers: [{ url: regexp }] } },
          other: { loadBalancer: { servers: [{ url: other }] } },
        },
      },
    });
    cleanup.push(() => w.stop());

    const hostilePath = `/${'a'.repeat(32)}!`;
    const hostileHost = `${'a'.repeat(32)}.example.org`;
    const [path, host, served] = await Promise.all([
      get(w.web, hostilePath, 'x.test'),
      get(w.web, '/', hostileHost),
      get(w.web, '/', 'other.test'),
    ]);
    expect([path.status, host.status, served.status, served.text]).toEqual([404, 404, 200, 'other']);

    // The same routers still match what they were written for.
    expect((await get(w.web, '/aaaa', 'x.test')).text).toBe('regexp');
    expect((await get(w.web, '/', 'my-app-01.example.com')).text).toBe('regexp');
  });

  it('disables a router whose regexp RE2 refuses, naming the router and the pattern; others serve', async () => {
    const other = await named('other');
    const w = await startWharf({
      http: {
        routers: {
          lookahead: { rule: 'PathRegexp(`^/(?!admin)`)', service: 'other' },
          other: { rule: 'Host(`other.test`)', service: 'other' },
        },
        services: { other: { loadBalancer: { servers: [{ url: other }] } } },
      },
    });
    cleanup.push(() => w.stop());
    expect((await get(w.web, '/', 'other.test')).text).toBe('other');
    const r = await w.getJson<{ status: string; error: string[] }>('/api/http/routers/lookahead@file');
    expect(r.body.status).toBe('disabled');
    expect(r.body.error.join(' ')).toContain('router "lookahead@file"');
    expect(r.body.error.join(' ')).toContain('invalid regular expression `^/(?!admin)`');
    expect(r.body.error.join(' ')).toContain('lookaround assertions are not supported');
  });
});
