import { connect, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, type Echo, startEchoServer } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// ipAllowList and ipWhiteList through a running router: the client is the loopback peer (127.0.0.1, and
// ::1 when this machine has IPv6 loopback); X-Forwarded-For is sent by the test acting as a proxy, kept on
// the entryPoint that trusts 127.0.0.1 and removed on the one that does not.

let echo: Backend;
let w: TestWharf;
let v6: string | undefined;

/** Whether this machine can listen on ::1 (containers often have no IPv6). */
async function hasIpv6Loopback(): Promise<boolean> {
  const server = createServer();
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => resolve(true));
  });
  if (ok) await new Promise<void>((resolve) => server.close(() => resolve()));
  return ok;
}

const route = (host: string, middleware: string, entryPoints = ['web']) => ({
  rule: `Host(\`${host}\`)`,
  service: 'echo',
  middlewares: [middleware],
  entryPoints,
});

beforeAll(async () => {
  echo = await startEchoServer();
  const ipv6 = await hasIpv6Loopback();
  const all = ipv6 ? ['web', 'open', 'v6'] : ['web', 'open'];
  w = await startWharf(
    {
      http: {
        routers: {
          local: route('local.test', 'local', all),
          deny: route('deny.test', 'ten'),
          custom: route('custom.test', 'ten-404'),
          depth: route('depth.test', 'depth', ['web', 'open']),
          excluded: route('excluded.test', 'excluded'),
          white: route('white.test', 'white'),
          v6only: route('v6only.test', 'v6only', all),
        },
        middlewares: {
          local: { ipAllowList: { sourceRange: ['127.0.0.1'] } },
          ten: { ipAllowList: { sourceRange: ['10.0.0.0/8'] } },
          'ten-404': { ipAllowList: { sourceRange: ['10.0.0.0/8'], rejectStatusCode: 404 } },
          depth: { ipAllowList: { sourceRange: ['192.0.2.0/24'], ipStrategy: { depth: 1 } } },
          excluded: {
            ipAllowList: { sourceRange: ['198.51.100.0/24'], ipStrategy: { excludedIPs: ['10.0.0.0/8'] } },
          },
          white: { ipWhiteList: { sourceRange: ['127.0.0.0/8'] } },
          v6only: { ipAllowList: { sourceRange: ['::1/128'] } },
        },
        services: { echo: { loadBalancer: { servers: [{ url: echo.url }] } } },
      },
    },
    {
      entryPoints: {
        web: { address: '127.0.0.1:0', forwardedHeaders: { trustedIPs: ['127.0.0.1'] } },
        open: { address: '127.0.0.1:0' },
        ...(ipv6 && { v6: { address: '[::1]:0' } }),
        wharf: { address: '127.0.0.1:0' },
      },
    },
  );
  if (ipv6) v6 = `http://[::1]:${w.wharf.port('v6')}`;
});

afterAll(async () => {
  await w?.stop();
  await echo?.close();
});

describe('ipAllowList through a running router', () => {
  const open = () => `http://127.0.0.1:${w.wharf.port('open')}`;
  const cases: Array<{
    name: string;
    base?: () => string;
    host: string;
    xff?: string;
    status: number;
    body?: string;
  }> = [
    { name: 'peer 127.0.0.1 allowed', host: 'local.test', status: 200 },
    { name: 'peer outside the range: 403 Forbidden', host: 'deny.test', status: 403, body: 'Forbidden' },
    {
      name: 'X-Forwarded-For does not count without ipStrategy',
      host: 'deny.test',
      xff: '10.0.0.1',
      status: 403,
      body: 'Forbidden',
    },
    { name: 'rejectStatusCode 404 answers Not Found', host: 'custom.test', status: 404, body: 'Not Found' },
    {
      name: 'depth 1 reads the last X-Forwarded-For entry',
      host: 'depth.test',
      xff: '10.0.0.1, 192.0.2.7',
      status: 200,
    },
    {
      name: 'depth 1: an allowed address further left does not count',
      host: 'depth.test',
      xff: '192.0.2.7, 10.0.0.1',
      status: 403,
      body: 'Forbidden',
    },
    { name: 'depth without X-Forwarded-For is refused', host: 'depth.test', status: 403, body: 'Forbidden' },
    {
      name: 'depth on an entryPoint that does not trust the peer: the header is gone, refused',
      base: open,
      host: 'depth.test',
      xff: '192.0.2.7',
      status: 403,
      body: 'Forbidden',
    },
    {
      name: 'excludedIPs skips the proxies from the right',
      host: 'excluded.test',
      xff: '203.0.113.9, 198.51.100.4, 10.0.0.3',
      status: 200,
    },
    { name: 'excludedIPs: all excluded is refused', host: 'excluded.test', xff: '10.0.0.3', status: 403 },
    { name: 'ipWhiteList works as ipAllowList', host: 'white.test', status: 200 },
    { name: 'IPv6-only range refuses an IPv4 peer', host: 'v6only.test', status: 403, body: 'Forbidden' },
  ];
  it.each(cases)('$name', async ({ base, host, xff, status, body }) => {
    const res = await get(base?.() ?? w.web, '/p', host, xff === undefined ? {} : { 'x-forwarded-for': xff });
    expect(res.status).toBe(status);
    if (status === 200) expect((JSON.parse(res.text) as Echo).url).toBe('/p');
    else expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    if (body !== undefined) expect(res.text).toBe(body);
  });

  it('from ::1: an IPv6 range allows, an IPv4-only range refuses', async (t) => {
    if (v6 === undefined) return t.skip('no IPv6 loopback on this machine');
    expect((await get(v6, '/', 'v6only.test')).status).toBe(200);
    const refused = await get(v6, '/', 'local.test');
    expect({ status: refused.status, text: refused.text }).toEqual({ status: 403, text: 'Forbidden' });
  });

  it('reads repeated X-Forwarded-For lines as one list, so depth counts from the last line', async () => {
    // A proxy that adds its own line (HAProxy's option forwardfor) after a client-written one. The socket
    // stays open for writing: Wharf takes a half-closed client as gone while the request is proxied.
    const status = async (lines: string[]) => {
      const head = await new Promise<string>((resolve, reject) => {
        const socket = connect(w.wharf.port('web'), '127.0.0.1', () => {
          const xff = lines.map((l) => `X-Forwarded-For: ${l}\r\n`).join('');
          socket.write(`GET / HTTP/1.1\r\nHost: depth.test\r\n${xff}Connection: close\r\n\r\n`);
        });
        let text = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => {
          text += chunk;
        });
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      return head.slice(9, 12);
    };
    expect(await status(['192.0.2.7', '10.0.0.1'])).toBe('403');
    expect(await status(['10.0.0.1', '192.0.2.7'])).toBe('200');
  });

  it('the upstream still gets X-Forwarded-For with the peer appended', async () => {
    const res = await get(w.web, '/p', 'depth.test', { 'x-forwarded-for': '10.0.0.1, 192.0.2.7' });
    expect((JSON.parse(res.text) as Echo).headers['x-forwarded-for']).toBe('10.0.0.1, 192.0.2.7, 127.0.0.1');
  });
});
