import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, type Echo, startEchoServer } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// Security issue item: header values the headers middleware could not send gave a 0-byte close (response
// side) or a 500 on every request (request side). Now values are sent as Go sends them and what no HTTP
// message can carry is refused at load, disabling the middleware and its routers with a diagnostic.

/** A header value as received (latin1 string of the wire bytes), decoded as UTF-8. */
const utf8 = (v: unknown) => Buffer.from(String(v), 'latin1').toString('utf8');

describe('headers middleware values', () => {
  let backend: Backend;
  let w: TestWharf;
  beforeAll(async () => {
    backend = await startEchoServer();
    const service = { loadBalancer: { servers: [{ url: backend.url }] } };
    w = await startWharf({
      http: {
        routers: {
          ok: { rule: 'Host(`ok.test`)', service: 'app', middlewares: ['hdr'] },
          badname: { rule: 'Host(`badname.test`)', service: 'app', middlewares: ['badName'] },
          ctl: { rule: 'Host(`ctl.test`)', service: 'app', middlewares: ['ctl'] },
        },
        services: { app: service },
        middlewares: {
          hdr: {
            headers: {
              customRequestHeaders: { 'X-Name': 'café', 'X-Lines': 'a\r\nb' },
              customResponseHeaders: { 'X-Price': '5 €', 'X-Multi': 'one\ntwo' },
              contentSecurityPolicy: "default-src 'self';\nimg-src *\n",
            },
          },
          badName: { headers: { customRequestHeaders: { 'X Bad': 'v' } } },
          ctl: { headers: { customResponseHeaders: { 'X-Ctl': 'a\u0001b' } } },
        },
      },
    });
  });
  afterAll(async () => {
    await w.stop();
    await backend.close();
  });

  it('sends non-ASCII values as UTF-8 and line breaks as spaces, both ways', async () => {
    const res = await get(w.web, '/', 'ok.test');
    expect(res.status).toBe(200);
    const echo = JSON.parse(res.text) as Echo;
    expect(utf8(echo.headers['x-name'])).toBe('café');
    expect(echo.headers['x-lines']).toBe('a  b');
    expect(utf8(res.headers['x-price'])).toBe('5 €');
    expect(res.headers['x-multi']).toBe('one two');
    expect(res.headers['content-security-policy']).toBe("default-src 'self'; img-src *");
  });

  it('refuses names and values no HTTP message can carry at load, disabling the middleware and its routers', async () => {
    expect((await get(w.web, '/', 'badname.test')).status).toBe(404);
    expect((await get(w.web, '/', 'ctl.test')).status).toBe(404);
    const mw = await w.getJson<{ status: string; error: string[] }>('/api/http/middlewares/badName@file');
    expect(mw.body.status).toBe('disabled');
    expect(mw.body.error.join()).toContain(
      'http.middlewares.badName.headers.customRequestHeaders.X Bad: a header name cannot contain a space',
    );
    const router = await w.getJson<{ status: string; error: string[] }>('/api/http/routers/ctl@file');
    expect(router.body.status).toBe('disabled');
    expect(router.body.error.join()).toContain('customResponseHeaders.X-Ctl');
    expect(router.body.error.join()).toContain('control character U+0001');
    // The middleware that can be sent still serves.
    expect((await get(w.web, '/', 'ok.test')).status).toBe(200);
  });
});
