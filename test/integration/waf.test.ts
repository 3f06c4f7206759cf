import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startServer, until } from '../helpers/backends.ts';
import { ensureModsecurity } from '../helpers/native.ts';
import { startWharf, type TestWharf } from '../helpers/wharf.ts';

// The waf middleware through a running router with Debian's CRS: block and detect, removeRuleIds and
// inlineRules, request bodies (urlencoded, JSON, multipart, chunked, over the limit) reaching the backend
// intact, response inspection, the audit log and its request id in the access log, and a reload.

const skip = await ensureModsecurity();

interface Seen {
  path: string;
  contentType: string | undefined;
  body: Buffer;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const UA = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0',
  accept: '*/*',
};
const SQLI = "/?id=1'%20or%201=1--";

let backend: Backend;
let w: TestWharf;
let dir: string;
const seen: Seen[] = [];

const auditLines = (file: string) =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map(
          (l) =>
            JSON.parse(l) as {
              requestId: string;
              action: string;
              uri: string;
              rules: { id: string; variable?: string }[];
            },
        )
    : [];

async function send(
  host: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
) {
  const res = await request(`${w.web}${path}`, {
    method: (init.method ?? 'GET') as 'GET',
    headers: { host, ...UA, ...init.headers },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

function multipart(parts: Record<string, string>, file: Buffer): { body: Buffer; type: string } {
  const boundary = '----wharfboundary7MA4YWxkTrZu0gW';
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(parts))
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
  chunks.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="upload"; filename="photo.png"\r\nContent-Type: image/png\r\n\r\n`,
    ),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

const dynamic = () => ({
  http: {
    routers: {
      block: { rule: 'Host(`block.test`)', service: 'b', middlewares: ['crs'] },
      detect: { rule: 'Host(`detect.test`)', service: 'b', middlewares: ['detect'] },
      removed: { rule: 'Host(`removed.test`)', service: 'b', middlewares: ['removed'] },
      inline: { rule: 'Host(`inline.test`)', service: 'b', middlewares: ['inline'] },
      small: { rule: 'Host(`small.test`)', service: 'b', middlewares: ['small'] },
      partial: { rule: 'Host(`partial.test`)', service: 'b', middlewares: ['partial'] },
      response: { rule: 'Host(`response.test`)', service: 'b', middlewares: ['response'] },
    },
    middlewares: {
      crs: { waf: { crs: {}, auditLog: join(dir, 'audit.log') } },
      detect: { waf: { crs: {}, mode: 'detect', auditLog: join(dir, 'detect.log') } },
      removed: { waf: { crs: {}, removeRuleIds: [942100], auditLog: join(dir, 'removed.log') } },
      inline: {
        waf: {
          inlineRules:
            'SecRule ARGS:secret "@streq letmein" "id:10001,phase:2,deny,status:403,log,msg:\'secret word\'"',
        },
      },
      small: { waf: { crs: {}, requestBodyLimit: 1000 } },
      partial: { waf: { crs: {}, requestBodyLimit: 1000, requestBodyLimitAction: 'inspectPartial' } },
      response: {
        waf: {
          responseInspection: true,
          inlineRules: 'SecRule RESPONSE_BODY "@contains TOP-SECRET" "id:10002,phase:4,deny,status:403,log"',
        },
      },
    },
    services: { b: { loadBalancer: { servers: [{ url: backend.url }] } } },
  },
});

beforeAll(async () => {
  if (skip !== undefined) return;
  dir = await mkdtemp(join(tmpdir(), 'wharf-waf-'));
  backend = await startServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const all = Buffer.concat(body);
      seen.push({ path: url.pathname, contentType: req.headers['content-type'], body: all });
      const text = url.pathname === '/leak' ? 'here is the TOP-SECRET plan' : sha(all);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(text);
    });
  });
  w = await startWharf(dynamic(), { accessLog: { filePath: join(dir, 'access.log'), format: 'json' } });
});

afterAll(async () => {
  await w?.stop();
  await backend?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(skip !== undefined)('waf through a running router', () => {
  it('blocks a SQL injection with 403, passes a benign request', async () => {
    const before = seen.length;
    const blocked = await send('block.test', SQLI);
    expect(blocked.status).toBe(403);
    expect(blocked.text).toBe('Forbidden\n');
    expect(seen.length).toBe(before);
    const ok = await send('block.test', '/products?category=shoes&page=2');
    expect(ok.status).toBe(200);
  });

  it('writes the audit log with the matched rules and the request id the access log shows', async () => {
    await send('block.test', "/audit?q=1'%20or%201=1--");
    const file = join(dir, 'audit.log');
    await until(() => auditLines(file).some((l) => l.uri.startsWith('/audit')), 'the audit line');
    const line = auditLines(file).find((l) => l.uri.startsWith('/audit'));
    expect(line?.action).toBe('blocked');
    expect(line?.rules.map((r) => r.id)).toEqual(expect.arrayContaining(['942100', '949110']));
    expect(line?.rules.find((r) => r.id === '942100')?.variable).toBe('ARGS:q');
    const access = join(dir, 'access.log');
    await until(
      () => existsSync(access) && readFileSync(access, 'utf8').includes(line?.requestId ?? '?'),
      'the access log line with the request id',
    );
    const entry = readFileSync(access, 'utf8')
      .split('\n')
      .filter((l) => l.includes(line?.requestId ?? '?'))
      .map((l) => JSON.parse(l) as { DownstreamStatus: number; RequestPath: string })[0];
    expect(entry).toMatchObject({ DownstreamStatus: 403 });
  });

  it('only logs in detect mode: the request reaches the service', async () => {
    const res = await send('detect.test', "/detect?id=1'%20or%201=1--");
    expect(res.status).toBe(200);
    const file = join(dir, 'detect.log');
    await until(() => auditLines(file).some((l) => l.uri.startsWith('/detect')), 'the detect audit line');
    expect(auditLines(file).find((l) => l.uri.startsWith('/detect'))?.action).toBe('detected');
  });

  it('removeRuleIds: the request 942100 alone would block passes', async () => {
    expect((await send('removed.test', SQLI)).status).toBe(200);
  });

  it('inlineRules: run without the CRS', async () => {
    expect((await send('inline.test', '/?secret=letmein')).status).toBe(403);
    expect((await send('inline.test', "/?id=1'%20or%201=1--")).status).toBe(200);
  });

  it.each([
    [
      'urlencoded',
      'application/x-www-form-urlencoded',
      Buffer.from('name=Alice+Smith&email=alice%40example.com&comment=Nice+shop'),
    ],
    [
      'JSON',
      'application/json',
      Buffer.from(
        JSON.stringify({
          user: { name: 'Alice', tags: ['a', 'b'] },
          items: [1, 2, 3],
          note: 'x'.repeat(1500),
        }),
      ),
    ],
  ])('a benign %s body reaches the service intact', async (_, type, body) => {
    const res = await send('block.test', '/submit', {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    });
    expect(res.status).toBe(200);
    expect(res.text).toBe(sha(body));
    expect(seen.at(-1)?.contentType).toBe(type);
  });

  it('a benign multipart upload reaches the service intact', async () => {
    const file = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 251));
    const { body, type } = multipart({ title: 'Holiday', album: 'summer' }, file);
    const res = await send('block.test', '/upload', {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    });
    expect(res.status).toBe(200);
    expect(res.text).toBe(sha(body));
  });

  it.each([
    ['JSON', 'application/json', Buffer.from(JSON.stringify({ q: "1' or 1=1--" }))],
    ['urlencoded', 'application/x-www-form-urlencoded', Buffer.from("q=1'%20or%201=1--")],
    ['multipart', '', Buffer.alloc(0)],
  ])('an attack in a %s body is blocked', async (kind, type, given) => {
    const { body, type: contentType } =
      kind === 'multipart'
        ? multipart({ comment: '<script>alert(document.cookie)</script>' }, Buffer.from('x'))
        : { body: given, type };
    const before = seen.length;
    const res = await send('block.test', '/submit', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    });
    expect(res.status).toBe(403);
    expect(seen.length).toBe(before);
  });

  it('a chunked body is read once and forwarded intact', async () => {
    const body = Buffer.from('a=1&b=2&c=3');
    const res = await request(`${w.web}/chunked`, {
      method: 'POST',
      headers: { host: 'block.test', ...UA, 'content-type': 'application/x-www-form-urlencoded' },
      body: Readable.from([body.subarray(0, 4), body.subarray(4)]),
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe(sha(body));
  });

  it('a body over requestBodyLimit: rejected (403, the engine’s answer) or, with inspectPartial, forwarded whole', async () => {
    const big = Buffer.from(`a=${'x'.repeat(3000)}`);
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await send('small.test', '/big', { method: 'POST', headers, body: big })).status).toBe(403);
    const partial = await send('partial.test', '/big', { method: 'POST', headers, body: big });
    expect(partial.status).toBe(200);
    expect(partial.text).toBe(sha(big));
  });

  it('responseInspection: a denied response body never reaches the client; others pass whole', async () => {
    const leak = await send('response.test', '/leak');
    expect(leak.status).toBe(403);
    expect(leak.text).not.toContain('TOP-SECRET');
    const ok = await send('response.test', '/fine');
    expect(ok.status).toBe(200);
    expect(ok.text).toBe(sha(Buffer.alloc(0)));
  });

  it('keeps serving through a reload with unchanged options, and applies changed ones', async () => {
    const same = dynamic();
    (same.http.routers as Record<string, unknown>).other = { rule: 'Host(`other.test`)', service: 'b' };
    await w.reload(same);
    expect((await send('block.test', SQLI)).status).toBe(403);
    const changed = dynamic();
    changed.http.middlewares.crs.waf = { crs: {}, mode: 'detect', auditLog: join(dir, 'audit.log') } as never;
    await w.reload(changed);
    expect((await send('block.test', SQLI)).status).toBe(200);
  });
});
