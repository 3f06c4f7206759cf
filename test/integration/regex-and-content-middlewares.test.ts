import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, type Echo, startEchoServer, startServer } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// redirectRegex, replacePathRegex, stripPrefixRegex, contentType and encodedCharacters through a running
// router: file provider → compile → entryPoint → middleware → proxy → loopback servers.

let echo: Backend;
let untyped: Backend;
let w: TestWharf;

const svc = (url: string) => ({ loadBalancer: { servers: [{ url }] } });
const served = (text: string) => JSON.parse(text) as Echo;

beforeAll(async () => {
  echo = await startEchoServer();
  // Answers without a Content-Type: `/html` an HTML page, `/bin` binary bytes, `/typed` with a type.
  untyped = await startServer((req, res) => {
    if (req.url === '/typed') res.setHeader('content-type', 'application/x-mine');
    res.writeHead(200);
    res.end(req.url === '/bin' ? Buffer.from([0, 1, 2, 3]) : '<!DOCTYPE html><html><body>hi</body></html>');
  });
  w = await startWharf({
    http: {
      routers: {
        redirect: { rule: 'Host(`old.test`)', service: 'echo', middlewares: ['to-new'] },
        replace: { rule: 'Host(`replace.test`)', service: 'echo', middlewares: ['replace'] },
        strip: { rule: 'Host(`strip.test`)', service: 'echo', middlewares: ['strip'] },
        sniff: { rule: 'Host(`sniff.test`)', service: 'untyped', middlewares: ['sniff'] },
        nosniff: { rule: 'Host(`nosniff.test`)', service: 'untyped' },
        encoded: { rule: 'Host(`encoded.test`)', service: 'echo', middlewares: ['encoded'] },
        broken: { rule: 'Host(`broken.test`)', service: 'echo', middlewares: ['bad-regex'] },
      },
      middlewares: {
        'to-new': {
          redirectRegex: {
            regex: '^http://old\\.test(:[0-9]+)?/(.*)',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: Go's replacement syntax
            replacement: 'https://new.test/${2}',
            permanent: true,
          },
        },
        replace: { replacePathRegex: { regex: '^/foo/(.*)', replacement: '/bar/$1' } },
        strip: { stripPrefixRegex: { regex: ['/api/v[0-9]+'] } },
        sniff: { contentType: {} },
        encoded: { encodedCharacters: { allowEncodedSemicolon: true } },
        'bad-regex': { redirectRegex: { regex: '^(?=x)', replacement: '/' } },
      },
      services: { echo: svc(echo.url), untyped: svc(untyped.url) },
    },
  });
});

afterAll(async () => {
  await w?.stop();
  await echo?.close();
  await untyped?.close();
});

describe('redirectRegex', () => {
  it('redirects with the group filled in; permanent GET is 301', async () => {
    const r = await get(w.web, '/a/b?q=1', 'old.test');
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('https://new.test/a/b?q=1');
    expect(r.headers['content-type']).toBeUndefined();
    expect(r.text).toBe('Moved Permanently');
  });

  it('a regexp RE2 refuses disables its router only', async () => {
    expect((await get(w.web, '/', 'broken.test')).status).toBe(404);
    expect((await get(w.web, '/x', 'replace.test')).status).toBe(200);
  });
});

describe('replacePathRegex', () => {
  it('rewrites the path and sends the original in X-Replaced-Path', async () => {
    const r = await get(w.web, '/foo/x?y=1', 'replace.test');
    const e = served(r.text);
    expect(e.url).toBe('/bar/x?y=1');
    expect(e.headers['x-replaced-path']).toBe('/foo/x');
  });
});

describe('stripPrefixRegex', () => {
  it('strips the matched prefix and sends it in X-Forwarded-Prefix', async () => {
    const e = served((await get(w.web, '/api/v2/users', 'strip.test')).text);
    expect(e.url).toBe('/users');
    expect(e.headers['x-forwarded-prefix']).toBe('/api/v2');
  });

  it('the whole path stripped reaches the server as /', async () => {
    expect(served((await get(w.web, '/api/v2', 'strip.test')).text).url).toBe('/');
  });
});

describe('contentType', () => {
  it('detects a Content-Type the server did not send', async () => {
    expect((await get(w.web, '/html', 'sniff.test')).headers['content-type']).toBe(
      'text/html; charset=utf-8',
    );
    expect((await get(w.web, '/bin', 'sniff.test')).headers['content-type']).toBe('application/octet-stream');
  });

  it('keeps the Content-Type the server sent, and the body', async () => {
    const r = await get(w.web, '/typed', 'sniff.test');
    expect(r.headers['content-type']).toBe('application/x-mine');
    expect(r.text).toContain('<body>hi</body>');
  });

  it('without the middleware no Content-Type is added (Traefik v3 turns sniffing off)', async () => {
    const r = await get(w.web, '/html', 'nosniff.test');
    expect(r.headers['content-type']).toBeUndefined();
    expect(r.text).toContain('<body>hi</body>');
  });
});

describe('encodedCharacters', () => {
  it('answers a denied encoded character 400 with an empty body', async () => {
    const r = await get(w.web, '/a%2Fb', 'encoded.test');
    expect(r.status).toBe(400);
    expect(r.text).toBe('');
  });

  it('lets allowed and other escapes through', async () => {
    expect(served((await get(w.web, '/a%3Bb%20c', 'encoded.test')).text).url).toBe('/a%3Bb%20c');
  });
});
