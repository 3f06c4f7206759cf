import { request as httpRequest, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.ts';
import { type Backend, startServer } from '../../test/helpers/backends.ts';
import { systemClock } from '../clock.ts';
import type { MiddlewareContext } from '../middleware.ts';
import { setRequestState } from '../request-state.ts';
import { compilePolicy, compress } from './compress.ts';

const ctx: MiddlewareContext = {
  name: 'c@file',
  router: undefined,
  resolve: () => {
    throw new Error('no references');
  },
  logger: silentLogger(),
  clock: systemClock,
};

const html = `<!doctype html><html><body>${'<p>hello compress</p>'.repeat(200)}</body></html>`;

type Backender = (res: ServerResponse) => void;
const servers: Backend[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

/** A loopback server whose requests go through compress(options) to `backend`. */
async function serve(options: Record<string, unknown>, backend: Backender): Promise<string> {
  const handler = compress.create(options, ctx).wrap(async (_req, res) => backend(res));
  const s = await startServer((req, res) => {
    setRequestState(req, {
      entryPoint: 'web',
      scheme: 'http',
      clientIp: '127.0.0.1',
      start: 0n,
      originalUrl: '/',
    });
    void handler(req, res);
  });
  servers.push(s);
  return s.url;
}

function fetchRaw(
  url: string,
  headers: Record<string, string>,
  method = 'GET',
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function decode(encoding: string | undefined, body: Buffer): string {
  if (encoding === 'gzip') return zlib.gunzipSync(body).toString();
  if (encoding === 'br') return zlib.brotliDecompressSync(body).toString();
  if (encoding === 'zstd') return zlib.zstdDecompressSync(body).toString();
  return body.toString();
}

const send =
  (status: number, headers: Record<string, string>, body: string | undefined, split = false): Backender =>
  (res) => {
    res.writeHead(status, headers);
    if (body === undefined) return void res.end();
    if (split) {
      res.write(body.slice(0, 100));
      setTimeout(() => res.end(body.slice(100)), 5);
    } else res.end(body);
  };

describe('compilePolicy (Traefik compress.New checks)', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['both lists', { excludedContentTypes: ['a/b'], includedContentTypes: ['c/d'] }, 'mutually exclusive'],
    ['empty encodings', { encodings: [] }, 'at least one encoding'],
    ['unknown encoding', { encodings: ['deflate'] }, 'unsupported encoding: "deflate"'],
    [
      'default outside encodings',
      { encodings: ['gzip'], defaultEncoding: 'br' },
      'unsupported default encoding',
    ],
    ['bad media type', { excludedContentTypes: ['texthtml'] }, 'parsing excluded media type'],
  ])('%s', (_n, options, message) => {
    expect(() => compilePolicy(options, systemClock.setTimeout)).toThrow(message);
  });
  it('defaults', () => {
    const { policy, prefs } = compilePolicy({}, systemClock.setTimeout);
    expect(policy.minSize).toBe(1024);
    expect(prefs).toEqual({ encodings: ['gzip', 'br', 'zstd'], defaultEncoding: undefined });
    expect(policy.excluded.map((m) => m.type)).toEqual(['application/grpc']);
  });
});

interface Case {
  name: string;
  options?: Record<string, unknown>;
  request: Record<string, string>;
  method?: string;
  backend: Backender;
  encoding: string | undefined;
  vary: string | undefined;
  extra?: Record<string, string | undefined>;
  /** The whole body is compressed in one call: Content-Length must be the compressed length. */
  compressedLength?: boolean;
}

const htmlHead = { 'content-type': 'text/html; charset=utf-8' };

const cases: Case[] = [
  {
    name: 'gzip',
    request: { 'accept-encoding': 'gzip' },
    backend: send(200, htmlHead, html),
    encoding: 'gzip',
    vary: 'Accept-Encoding',
  },
  {
    name: 'br',
    request: { 'accept-encoding': 'br' },
    backend: send(200, htmlHead, html),
    encoding: 'br',
    vary: 'Accept-Encoding',
  },
  {
    name: 'zstd',
    request: { 'accept-encoding': 'zstd' },
    backend: send(200, htmlHead, html),
    encoding: 'zstd',
    vary: 'Accept-Encoding',
  },
  {
    name: 'streamed body (two writes, two turns)',
    request: { 'accept-encoding': 'gzip' },
    backend: send(200, htmlHead, html, true),
    encoding: 'gzip',
    vary: 'Accept-Encoding',
  },
  {
    name: 'no Accept-Encoding: untouched, no Vary',
    request: {},
    backend: send(200, htmlHead, html),
    encoding: undefined,
    vary: undefined,
  },
  {
    name: 'no Accept-Encoding with defaultEncoding',
    options: { defaultEncoding: 'zstd' },
    request: {},
    backend: send(200, htmlHead, html),
    encoding: 'zstd',
    vary: 'Accept-Encoding',
  },
  {
    name: 'HEAD',
    method: 'HEAD',
    request: { 'accept-encoding': 'gzip' },
    backend: send(200, htmlHead, undefined),
    encoding: undefined,
    vary: undefined,
  },
  {
    name: 'Range request',
    request: { 'accept-encoding': 'gzip', range: 'bytes=0-10' },
    backend: send(200, htmlHead, html),
    encoding: undefined,
    vary: undefined,
  },
  {
    name: 'grpc request',
    request: { 'accept-encoding': 'gzip', 'content-type': 'application/grpc' },
    backend: send(200, htmlHead, html),
    encoding: undefined,
    vary: undefined,
  },
  {
    name: 'small body',
    request: { 'accept-encoding': 'gzip' },
    backend: send(200, htmlHead, 'tiny'),
    encoding: undefined,
    vary: 'Accept-Encoding',
  },
  {
    name: 'small declared length',
    request: { 'accept-encoding': 'gzip' },
    backend: send(200, { ...htmlHead, 'content-length': '4' }, 'tiny'),
    encoding: undefined,
    vary: 'Accept-Encoding',
    extra: { 'content-length': '4' },
  },
  {
    name: 'minResponseBodyBytes',
    options: { minResponseBodyBytes: 2 },
    request: { 'accept-encoding': 'gzip' },
    backend: send(200, htmlHead, 'tiny'),
    encoding: 'gzip',
    vary: 'Accept-Encoding',
  },
  {
    name: 'already encoded',
    request: { 'accept-encoding': 'gzip' },
    backend: send(200, { ...htmlHead, 'content-encoding': 'identity-x' }, html),
    encoding: 'identity-x',
    vary: 'Accept-Encoding',
  },
  {
    name: '206 Content-Range',
    request: { 'accept-encoding': 'gzip' },
    backend: send(206, { ...htmlHead, 'content-range': `bytes 0-${html.length - 1}/*` }, html),
    encoding: undefined,
    vary: 'Accept-Encoding',
  },
  {
    name: '204',
    request: { 'accept-encoding': 'gzip' },
    backend: send(204, {}, undefined),
    encoding: undefined,
    vary: 'Accept-Encoding',
  },
  {
    name: '304',
    request: { 'accept-encoding': 'gzip' },
    backend: send(304, { etag: '"x"' }, undefined),
    encoding: undefined,
    vary: 'Accept-Encoding',
    extra: { etag: '"x"' },
  },
  {
    name: 'grpc response',
    request: { 'accept-encoding': 'gzip' },
    backend: send(200, { 'content-type': 'application/grpc' }, html),
    encoding: undefined,
    vary: 'Accept-Encoding',
  },
  {
    name: 'excluded type',
    options: { excludedContentTypes: ['text/html'] },
    request: { 'accept-encoding': 'gzip' },
    backend: send(200, htmlHead, html),
    encoding: undefined,
    vary: 'Accept-Encoding',
  },
  {
    name: 'not included',
    options: { includedContentTypes: ['application/json'] },
    request: { 'accept-encoding': 'gzip' },
    backend: send(200, htmlHead, html),
    encoding: undefined,
    vary: 'Accept-Encoding',
  },
  {
    name: 'included',
    options: { includedContentTypes: ['text/html'] },
    request: { 'accept-encoding': 'gzip' },
    backend: send(200, htmlHead, html),
    encoding: 'gzip',
    vary: 'Accept-Encoding',
  },
  {
    name: 'unparsable Content-Type',
    request: { 'accept-encoding': 'gzip' },
    backend: send(200, { 'content-type': 'html' }, html),
    encoding: undefined,
    vary: 'Accept-Encoding',
  },
  {
    name: 'no Content-Type: sniffed, then compressed',
    request: { 'accept-encoding': 'gzip' },
    backend: send(200, {}, html),
    encoding: 'gzip',
    vary: 'Accept-Encoding',
    extra: { 'content-type': 'text/html; charset=utf-8' },
  },
  {
    name: 'Content-Length of the compressed body, Accept-Ranges removed, ETag made weak, Vary merged',
    request: { 'accept-encoding': 'gzip' },
    backend: send(
      200,
      {
        ...htmlHead,
        'content-length': String(html.length),
        'accept-ranges': 'bytes',
        etag: '"v1"',
        vary: 'Origin',
      },
      html,
    ),
    encoding: 'gzip',
    vary: 'Origin, Accept-Encoding',
    extra: { 'accept-ranges': undefined, etag: 'W/"v1"' },
    compressedLength: true,
  },
  {
    name: 'q=0 refuses',
    request: { 'accept-encoding': 'gzip;q=0, identity' },
    backend: send(200, htmlHead, html),
    encoding: undefined,
    vary: undefined,
  },
];

describe('compress responses', () => {
  it.each(cases)('$name', async (c) => {
    const url = await serve(c.options ?? {}, c.backend);
    const res = await fetchRaw(url, c.request, c.method);
    const ce = res.headers['content-encoding'];
    expect({ encoding: ce, vary: res.headers.vary }).toEqual({ encoding: c.encoding, vary: c.vary });
    for (const [k, v] of Object.entries(c.extra ?? {})) expect(res.headers[k], k).toBe(v);
    if (c.compressedLength) expect(res.headers['content-length']).toBe(String(res.body.length));
    if (c.method !== 'HEAD' && res.status === 200) {
      const expected = c.name.includes('small') || c.name === 'minResponseBodyBytes' ? 'tiny' : html;
      expect(decode(ce, res.body)).toBe(expected);
    }
  });
});
