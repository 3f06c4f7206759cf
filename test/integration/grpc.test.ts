import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendPki, makeBackendPki } from '../helpers/backend-pki.ts';
import {
  type EchoClient,
  echoClient,
  type GrpcServer,
  grpc,
  type Msg,
  startGrpcServer,
} from '../helpers/grpc.ts';
import { startWharf, type TestWharf } from '../helpers/wharf.ts';

// gRPC end to end through Wharf (issue 18): a real @grpc/grpc-js client and server, the server behind an
// h2c:// URL and behind https:// (HTTP/2 by ALPN, private CA): unary and streaming calls, status codes,
// trailers, deadlines and cancellation; and health checks with mode grpc.

let pki: BackendPki;
let h2c: GrpcServer;
let tls: GrpcServer;
let w: TestWharf;
const clients: EchoClient[] = [];

const poll = async (what: string, check: () => boolean | Promise<boolean>, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

beforeAll(async () => {
  pki = makeBackendPki();
  h2c = await startGrpcServer();
  tls = await startGrpcServer(pki.server);
  w = await startWharf({
    http: {
      routers: {
        h2c: { rule: 'Host(`h2c.test`)', service: 'h2c' },
        tls: { rule: 'Host(`tls.test`)', service: 'tls' },
        web: { rule: 'Host(`web.test`)', service: 'h2c', middlewares: ['gw'] },
      },
      middlewares: { gw: { grpcWeb: { allowOrigins: ['https://app.test'] } } },
      services: {
        h2c: { loadBalancer: { servers: [{ url: `h2c://127.0.0.1:${h2c.port}` }] } },
        tls: {
          loadBalancer: { servers: [{ url: `https://127.0.0.1:${tls.port}` }], serversTransport: 'ca' },
        },
        health: {
          loadBalancer: {
            servers: [{ url: `h2c://127.0.0.1:${h2c.port}` }],
            healthCheck: { mode: 'grpc', interval: '100ms', timeout: '2s' },
          },
        },
        'health-tls': {
          loadBalancer: {
            servers: [{ url: `https://127.0.0.1:${tls.port}` }],
            serversTransport: 'ca',
            healthCheck: { mode: 'grpc', interval: '100ms', timeout: '2s' },
          },
        },
      },
      serversTransports: { ca: { rootCAs: [pki.ca] } },
    },
  });
}, 30_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await w?.stop();
  await h2c?.close();
  await tls?.close();
  pki?.remove();
});

const client = (authority: string) => {
  const c = echoClient(w.web.replace('http://', ''), authority);
  clients.push(c);
  return c;
};

const unary = (c: EchoClient, m: Msg, md = new grpc.Metadata(), options: grpc.CallOptions = {}) =>
  new Promise<{ err: grpc.ServiceError | null; res?: Msg; trailers?: grpc.Metadata }>((resolve) => {
    let trailers: grpc.Metadata | undefined;
    let out: { err: grpc.ServiceError | null; res?: Msg } | undefined;
    const call = c.Unary(m, md, options, (err, res) => {
      out = { err, ...(res ? { res } : {}) };
      if (trailers) resolve({ ...out, trailers });
    });
    call.on('status', (s: grpc.StatusObject) => {
      trailers = s.metadata;
      if (out) resolve({ ...out, trailers });
    });
  });

describe.each(['h2c', 'tls'])('gRPC through Wharf to a %s server', (kind) => {
  const authority = `${kind}.test`;

  it('unary: answer, request metadata and trailers', async () => {
    const md = new grpc.Metadata();
    md.set('x-client', 'abc');
    const r = await unary(client(authority), { text: 'hi', count: 0 }, md);
    expect(r.err).toBeNull();
    expect(r.res?.text).toBe('echo:hi:abc');
    expect(r.trailers?.get('x-trailer')).toEqual(['done']);
  });

  it('a status code and message from the server reach the client', async () => {
    const r = await unary(client(authority), { text: 'fail', count: 0 });
    expect(r.err?.code).toBe(grpc.status.NOT_FOUND);
    expect(r.err?.details).toBe('no such thing');
  });

  it('server streaming, client streaming and bidirectional streaming', async () => {
    const c = client(authority);
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const s = c.ServerStream({ text: 'm', count: 3 });
      s.on('data', (m: Msg) => got.push(m.text));
      s.on('error', reject);
      s.on('end', () => resolve());
    });
    expect(got).toEqual(['m0', 'm1', 'm2']);

    const joined = await new Promise<Msg>((resolve, reject) => {
      const s = c.ClientStream((err, res) => (err ? reject(err) : resolve(res as Msg)));
      for (const t of ['a', 'b', 'c']) s.write({ text: t, count: 0 });
      s.end();
    });
    expect(joined).toEqual({ text: 'a+b+c', count: 3 });

    const bidi = c.Bidi();
    const echoed: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      bidi.on('data', (m: Msg) => {
        echoed.push(m.text);
        // Each answer comes back before the next message is sent: the stream is interactive end to end.
        if (echoed.length < 3) bidi.write({ text: `x${echoed.length}`, count: 0 });
        else bidi.end();
      });
      bidi.on('error', reject);
      bidi.on('end', () => resolve());
    });
    bidi.write({ text: 'x0', count: 0 });
    await done;
    expect(echoed).toEqual(['re:x0', 're:x1', 're:x2']);
  });

  it('a deadline ends the call with DEADLINE_EXCEEDED, and the server sees it cancelled', async () => {
    const server = kind === 'h2c' ? h2c : tls;
    const before = server.cancelled.filter((c) => c === 'Hang').length;
    const r = await new Promise<grpc.ServiceError | null>((resolve) =>
      client(authority).Hang(
        { text: '', count: 0 },
        new grpc.Metadata(),
        { deadline: Date.now() + 300 },
        (err) => resolve(err),
      ),
    );
    expect(r?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await poll(
      'the server to see the call cancelled',
      () => server.cancelled.filter((c) => c === 'Hang').length > before,
    );
  });

  it('a client cancellation reaches the server', async () => {
    const server = kind === 'h2c' ? h2c : tls;
    const before = server.cancelled.filter((c) => c === 'ServerStream').length;
    const s = client(authority).ServerStream({ text: 'open', count: 0 });
    s.on('error', () => undefined); // CANCELLED, expected
    // Let the call reach the server before cancelling it (its headers come back first).
    await new Promise<void>((resolve) => s.on('metadata', () => resolve()));
    s.cancel();
    await poll(
      'the server to see the stream cancelled',
      () => server.cancelled.filter((c) => c === 'ServerStream').length > before,
    );
  });
});

describe('health checks with mode grpc', () => {
  const status = async (name: string, url: string) =>
    (await w.getJson<{ serverStatus?: Record<string, string> }>(`/api/http/services/${name}@file`)).body
      .serverStatus?.[url];

  it('follow grpc.health.v1 SERVING / NOT_SERVING, over h2c and over TLS with the transport', async () => {
    const h2cUrl = `h2c://127.0.0.1:${h2c.port}`;
    const tlsUrl = `https://127.0.0.1:${tls.port}`;
    h2c.health = 'NOT_SERVING';
    tls.health = 'NOT_SERVING';
    await poll('DOWN', async () => (await status('health', h2cUrl)) === 'DOWN');
    await poll('TLS DOWN', async () => (await status('health-tls', tlsUrl)) === 'DOWN');
    h2c.health = 'SERVING';
    tls.health = 'SERVING';
    await poll('UP', async () => (await status('health', h2cUrl)) === 'UP');
    await poll('TLS UP', async () => (await status('health-tls', tlsUrl)) === 'UP');
  });
});

/** A gRPC length-prefixed frame of an Echo Msg with `text` (protobuf field 1, a string). */
function msgFrame(text: string): Buffer {
  const t = Buffer.from(text);
  const msg = Buffer.concat([Buffer.from([0x0a, t.length]), t]);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
}

/** The frames of a gRPC-Web body: data messages (their text field) and the trailer lines. */
function readFrames(body: Buffer): { texts: string[]; trailers: Record<string, string> } {
  const texts: string[] = [];
  const trailers: Record<string, string> = {};
  for (let i = 0; i + 5 <= body.length; ) {
    const flag = body[i] as number;
    const len = body.readUInt32BE(i + 1);
    const payload = body.subarray(i + 5, i + 5 + len);
    i += 5 + len;
    if (flag & 0x80) {
      for (const line of payload.toString().split('\r\n').filter(Boolean)) {
        const at = line.indexOf(':');
        trailers[line.slice(0, at)] = line.slice(at + 1).trim();
      }
    } else if (payload[0] === 0x0a) {
      texts.push(payload.subarray(2, 2 + (payload[1] as number)).toString());
    }
  }
  return { texts, trailers };
}

describe('grpcWeb middleware: a gRPC-Web request over HTTP/1.1 to the gRPC server', () => {
  const call = async (text: string, format: 'binary' | 'text') => {
    const frame = msgFrame(text);
    const res = await request(`${w.web}/wharf.test.Echo/Unary`, {
      method: 'POST',
      headers: {
        host: 'web.test',
        origin: 'https://app.test',
        'x-grpc-web': '1',
        'x-client': 'browser',
        'content-type': format === 'text' ? 'application/grpc-web-text' : 'application/grpc-web+proto',
      },
      body: format === 'text' ? frame.toString('base64') : frame,
    });
    const raw = Buffer.from(await res.body.arrayBuffer());
    // The text format may pad each piece apart (as gRPC-Web clients accept): decode piece by piece.
    const pieces = raw.toString().split(/(?<==)(?=[^=])/);
    const body = format === 'text' ? Buffer.concat(pieces.map((p) => Buffer.from(p, 'base64'))) : raw;
    return { status: res.statusCode, headers: res.headers, ...readFrames(body) };
  };

  it.each(['binary', 'text'] as const)(
    '%s: the answer and the trailers come back in the body',
    async (format) => {
      const r = await call('web', format);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe(
        format === 'text' ? 'application/grpc-web-text+proto' : 'application/grpc-web+proto',
      );
      expect(r.headers['access-control-allow-origin']).toBe('https://app.test');
      expect(r.texts).toEqual(['echo:web:browser']);
      expect(r.trailers).toMatchObject({ 'grpc-status': '0', 'x-trailer': 'done' });
    },
  );

  it('an error status (a trailers-only answer) comes back in the trailer frame', async () => {
    const r = await call('fail', 'binary');
    expect(r.status).toBe(200);
    expect(r.texts).toEqual([]);
    expect(r.trailers).toMatchObject({ 'grpc-status': '5', 'grpc-message': 'no%20such%20thing' }); // percent-encoded, as gRPC sends it
  });
});
