import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startEchoServer } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// Traefik v2 rules (core.defaultRuleSyntax, ruleSyntax per router) and the matching fixes of issue 18,
// through a running router: repeated header lines, absolute-form requests with an empty authority.

let echo: Backend;
let w: TestWharf;

beforeAll(async () => {
  echo = await startEchoServer();
  w = await startWharf(
    {
      http: {
        routers: {
          hosts: { rule: 'Host(`a.test`, `b.test`)', service: 'echo' },
          users: { rule: 'Host(`p.test`) && Path(`/users/{id:[0-9]+}`)', service: 'echo' },
          sub: { rule: 'HostRegexp(`{sub:[a-z]+}.wild.test`)', service: 'echo' },
          canary: { rule: 'Host(`h.test`) && Headers(`X-Canary`, `yes`)', service: 'echo' },
          query: { rule: 'Host(`q.test`) && Query(`v=2`)', service: 'echo' },
          v3: { rule: 'Host(`v3.test`) && Header(`X-A`, `c`)', ruleSyntax: 'v3', service: 'echo' },
          broken: { rule: 'Host(`x.test`, `y.test`)', ruleSyntax: 'v3', service: 'echo' },
          upper: { rule: 'HostRegexp(`^[A-Z]+\\.up\\.test$`)', ruleSyntax: 'v3', service: 'echo' },
          upperCi: { rule: 'HostRegexp(`(?i)^[A-Z]+\\.ci\\.test$`)', ruleSyntax: 'v3', service: 'echo' },
        },
        services: { echo: { loadBalancer: { servers: [{ url: echo.url }] } } },
      },
    },
    { core: { defaultRuleSyntax: 'v2' } },
  );
});

afterAll(async () => {
  await w?.stop();
  await echo?.close();
});

/** Sends one raw HTTP/1.1 request (repeated header lines, absolute form) and returns the status code. */
function rawStatus(base: string, head: string): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('end', () => resolve(Number(data.slice(9, 12))));
    socket.write(`${head}\r\nConnection: close\r\n\r\n`);
  });
}

describe('ruleSyntax v2 through a running router', () => {
  const cases: Array<{ name: string; host: string; path: string; status: number }> = [
    { name: 'Host with several hosts, second', host: 'b.test', path: '/', status: 200 },
    { name: 'Host with several hosts, other', host: 'c.test', path: '/', status: 404 },
    { name: 'Path placeholder matches', host: 'p.test', path: '/users/42', status: 200 },
    { name: 'Path placeholder refuses', host: 'p.test', path: '/users/x', status: 404 },
    { name: 'HostRegexp template matches', host: 'api.wild.test', path: '/', status: 200 },
    { name: 'HostRegexp template refuses', host: 'a.b.wild.test', path: '/', status: 404 },
    { name: 'Query key=value matches', host: 'q.test', path: '/?v=2', status: 200 },
    { name: 'Query key=value refuses', host: 'q.test', path: '/?v=3', status: 404 },
  ];
  it.each(cases)('$name', async ({ host, path, status }) => {
    expect((await get(w.web, path, host)).status).toBe(status);
  });

  it('Headers matches one value of a repeated header line', async () => {
    const head = 'GET / HTTP/1.1\r\nHost: h.test\r\nX-Canary: no\r\nX-Canary: yes';
    expect(await rawStatus(w.web, head)).toBe(200);
  });

  it('a v2 rule on a router with ruleSyntax v3 is disabled with its v3 rewrite', async () => {
    const { body } = await w.getJson<{ status: string; error?: string[] }>('/api/http/routers/broken@file');
    expect(body.status).toBe('disabled');
    expect(body.error?.join('\n')).toContain('write it as Host(`x.test`) || Host(`y.test`)');
    expect((await get(w.web, '/', 'x.test')).status).toBe(404);
  });
});

describe('rule matching fixes', () => {
  it('Header (v3) matches one value of a repeated header line', async () => {
    const head = 'GET / HTTP/1.1\r\nHost: v3.test\r\nX-A: a\r\nX-A: c';
    expect(await rawStatus(w.web, head)).toBe(200);
    expect(await rawStatus(w.web, 'GET / HTTP/1.1\r\nHost: v3.test\r\nX-A: a, b')).toBe(404);
  });

  it('HostRegexp (v3) is case-sensitive against the lower-cased host; (?i) makes it insensitive', async () => {
    expect((await get(w.web, '/', 'ABC.up.test')).status).toBe(404);
    expect((await get(w.web, '/', 'ABC.ci.test')).status).toBe(200);
  });

  it('an absolute-form request with an empty authority routes by its Host header', async () => {
    expect(await rawStatus(w.web, 'GET http://@/ HTTP/1.1\r\nHost: a.test')).toBe(200);
  });
});
