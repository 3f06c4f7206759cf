import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { connect as h2connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startEchoServer, startServer, until } from '../helpers/backends.ts';
import { type CertFactory, certFactory } from '../helpers/certs.ts';
import { programEnv } from '../helpers/program-env.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// The access log through a running router: fields as Traefik writes them for proxied requests, answers
// written by middlewares (their real size), unrouted requests, TLS and HTTP/2, the router and entryPoint
// observability switches; then SIGUSR1 reopening the file of a Wharf process, as logrotate needs.

const BIG = 'x'.repeat(20_000);
let echo: Backend;
let big: Backend;
let certs: CertFactory;
let w: TestWharf;
let logFile: string;

beforeAll(async () => {
  echo = await startEchoServer();
  big = await startServer((_req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.setHeader('x-origin', 'big');
    res.end(BIG);
  });
  certs = certFactory();
  const cert = certs.make('log', ['tls.log.test']);
  const dir = await mkdtemp(join(tmpdir(), 'wharf-access-int-'));
  logFile = join(dir, 'logs', 'access.log');
  const users = [`bob:{SHA}${createHash('sha1').update('secret').digest('base64')}`];
  w = await startWharf(
    {
      http: {
        routers: {
          app: { rule: 'Host(`app.test`)', service: 'echo' },
          big: { rule: 'Host(`big.test`)', service: 'big', middlewares: ['gzip'] },
          auth: { rule: 'Host(`auth.test`)', service: 'echo', middlewares: ['auth'] },
          moved: { rule: 'Host(`moved.test`)', service: 'echo', middlewares: ['to-https'] },
          silent: { rule: 'Host(`silent.test`)', service: 'echo', observability: { accessLogs: false } },
          loud: { rule: 'Host(`loud.test`)', service: 'echo', observability: { accessLogs: true } },
          secure: { rule: 'Host(`tls.log.test`)', service: 'echo', tls: {} },
        },
        middlewares: {
          auth: { basicAuth: { users } },
          'to-https': { redirectScheme: { scheme: 'https' } },
          gzip: { compress: {} },
        },
        services: {
          echo: { loadBalancer: { servers: [{ url: echo.url }] } },
          big: { loadBalancer: { servers: [{ url: big.url }] } },
        },
      },
      tls: { certificates: [cert] },
    },
    {
      entryPoints: {
        web: { address: '127.0.0.1:0' },
        wharf: { address: '127.0.0.1:0' },
        quiet: { address: '127.0.0.1:0', observability: { accessLogs: false } },
        redir: {
          address: '127.0.0.1:0',
          http: { redirections: { entryPoint: { to: 'web', scheme: 'https' } } },
        },
      },
      accessLog: {
        filePath: logFile,
        format: 'json',
        fields: {
          names: { StartLocal: 'drop' },
          headers: { names: { 'User-Agent': 'keep', Authorization: 'redact', 'X-Origin': 'keep' } },
        },
      },
    },
  );
});
afterAll(async () => {
  await w?.stop();
  await echo?.close();
  await big?.close();
  certs?.remove();
});

/** The JSON line whose request_User-Agent is `agent`, once it is in the file. */
async function lineFor(agent: string): Promise<Record<string, unknown>> {
  let found: Record<string, unknown> | undefined;
  await until(() => {
    const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    for (const l of text.split('\n').filter(Boolean)) {
      const o = JSON.parse(l) as Record<string, unknown>;
      if (o['request_User-Agent'] === agent) found = o;
    }
    return found !== undefined;
  }, `the access log line of ${agent}`);
  return found as Record<string, unknown>;
}

const allLines = () =>
  readFileSync(logFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('access log fields through the router', () => {
  it('a proxied request: router, service, server, origin and downstream fields', async () => {
    const r = await get(w.web, '/hello?x=1', 'app.test', {
      'user-agent': 'proxied',
      authorization: 'Basic Zm9v',
    });
    expect(r.status).toBe(200);
    const o = await lineFor('proxied');
    expect(o).toMatchObject({
      RouterName: 'app@file',
      ServiceName: 'echo@file',
      ServiceURL: echo.url,
      ServiceAddr: new URL(echo.url).host,
      RequestMethod: 'GET',
      RequestPath: '/hello?x=1',
      RequestHost: 'app.test',
      RequestAddr: 'app.test',
      RequestPort: '-',
      RequestProtocol: 'HTTP/1.1',
      RequestScheme: 'http',
      ClientHost: '127.0.0.1',
      ClientUsername: '-',
      DownstreamStatus: 200,
      DownstreamContentSize: Buffer.byteLength(r.text),
      OriginStatus: 200,
      OriginContentSize: Buffer.byteLength(r.text),
      RetryAttempts: 0,
      entryPointName: 'web',
      request_Authorization: 'REDACTED',
      level: 'info',
      msg: '',
    });
    expect(o).not.toHaveProperty('StartLocal');
    expect(o).not.toHaveProperty('GzipRatio');
    expect(o.OriginDuration as number).toBeGreaterThan(0);
    expect((o.Duration as number) - (o.OriginDuration as number)).toBe(o.Overhead);
  });

  it('answers written by middlewares log the bytes sent, not 0 (401, redirect)', async () => {
    const denied = await get(w.web, '/', 'auth.test', { 'user-agent': 'denied' });
    expect(denied.status).toBe(401);
    expect(denied.text.length).toBeGreaterThan(0);
    const moved = await get(w.web, '/there', 'moved.test', { 'user-agent': 'moved' });
    expect([301, 302, 307, 308]).toContain(moved.status);
    const d = await lineFor('denied');
    expect(d).toMatchObject({
      DownstreamStatus: 401,
      DownstreamContentSize: Buffer.byteLength(denied.text),
      OriginStatus: 0,
      OriginContentSize: 0,
      RouterName: 'auth@file',
    });
    expect(d).not.toHaveProperty('ServiceURL');
    const m = await lineFor('moved');
    expect(m).toMatchObject({
      DownstreamStatus: moved.status,
      DownstreamContentSize: Buffer.byteLength(moved.text),
    });
  });

  it('a compressed answer: the gzip ratio and the origin headers', async () => {
    const res = await request(`${w.web}/`, {
      headers: { host: 'big.test', 'accept-encoding': 'gzip', 'user-agent': 'gzipped' },
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    expect(res.headers['content-encoding']).toBe('gzip');
    const o = await lineFor('gzipped');
    expect(o.OriginContentSize).toBe(BIG.length);
    expect(o.DownstreamContentSize).toBe(body.length);
    expect(o.GzipRatio).toBeCloseTo(BIG.length / body.length, 10);
    expect(o['origin_X-Origin']).toBe('big');
  });

  it('an unrouted request: 404 without router or service fields', async () => {
    const r = await get(w.web, '/nowhere', 'unknown.test', { 'user-agent': 'lost' });
    expect(r.status).toBe(404);
    const o = await lineFor('lost');
    expect(o).toMatchObject({
      DownstreamStatus: 404,
      DownstreamContentSize: Buffer.byteLength(r.text),
      OriginStatus: 0,
    });
    expect(o).not.toHaveProperty('RouterName');
  });

  it('TLS over HTTP/1.1 and HTTP/2: TLSVersion, TLSCipher, the protocol and the size', async () => {
    const port = w.wharf.port('web');
    const text = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          servername: 'tls.log.test',
          path: '/',
          rejectUnauthorized: false,
          headers: { host: 'tls.log.test', 'user-agent': 'tls-h1' },
        },
        (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve(body));
        },
      );
      req.on('error', reject);
      req.end();
    });
    const h1 = await lineFor('tls-h1');
    expect(h1).toMatchObject({
      RequestScheme: 'https',
      TLSVersion: '1.3',
      TLSCipher: expect.stringMatching(/^TLS_/),
      DownstreamContentSize: Buffer.byteLength(text),
    });
    const session = h2connect(`https://127.0.0.1:${port}`, {
      servername: 'tls.log.test',
      rejectUnauthorized: false,
    });
    const stream = session.request({ ':path': '/h2', ':authority': 'tls.log.test', 'user-agent': 'tls-h2' });
    let h2body = '';
    stream.on('data', (d) => (h2body += d));
    await once(stream, 'end');
    session.close();
    const h2 = await lineFor('tls-h2');
    expect(h2).toMatchObject({
      RequestProtocol: 'HTTP/2.0',
      RequestScheme: 'https',
      TLSVersion: '1.3',
      DownstreamContentSize: Buffer.byteLength(h2body),
      RouterName: 'secure@file',
    });
  });

  it('observability.accessLogs: false on a router or its entryPoint leaves the request out', async () => {
    const quiet = `http://127.0.0.1:${w.wharf.port('quiet')}`;
    await get(w.web, '/', 'silent.test', { 'user-agent': 'silent-router' });
    await get(quiet, '/', 'app.test', { 'user-agent': 'quiet-entrypoint' });
    await get(quiet, '/', 'nothing.test', { 'user-agent': 'quiet-unrouted' });
    // A router's own accessLogs: true wins over its entryPoint's false.
    await get(quiet, '/', 'loud.test', { 'user-agent': 'loud-on-quiet' });
    const loud = await lineFor('loud-on-quiet');
    expect(loud.entryPointName).toBe('quiet');
    const agents = allLines().map((o) => o['request_User-Agent']);
    expect(agents).not.toContain('silent-router');
    expect(agents).not.toContain('quiet-entrypoint');
    expect(agents).not.toContain('quiet-unrouted');
  });

  it("leaves out the API, ping and the entryPoint's redirection (internal routers, addInternals false)", async () => {
    await get(w.api, '/ping', 'x', { 'user-agent': 'pinger' });
    const redirected = await get(`http://127.0.0.1:${w.wharf.port('redir')}`, '/', 'app.test', {
      'user-agent': 'ep-redirect',
    });
    expect(redirected.status).toBe(301);
    await get(w.web, '/', 'app.test', { 'user-agent': 'after-ping' });
    await lineFor('after-ping');
    expect(allLines().map((o) => o['request_User-Agent'])).not.toContain('pinger');
    expect(allLines().map((o) => o['request_User-Agent'])).not.toContain('ep-redirect');
  });
});

/** A port free right now on 127.0.0.1 (the OS picks it; the child binds it next). */
async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}

describe('SIGUSR1 (logrotate)', () => {
  let child: ChildProcess | undefined;
  let dir: string;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reopens the access log and the log file: after a rename, the next lines go to new files', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-usr1-'));
    const port = await freePort();
    const access = join(dir, 'access.log');
    const main = join(dir, 'wharf.log');
    await writeFile(
      join(dir, 'dynamic.yml'),
      `http:\n  routers:\n    r: {rule: "Host(\`usr1.test\`)", service: s}\n  services:\n    s: {loadBalancer: {servers: [{url: "${echo.url}"}]}}\n`,
    );
    await writeFile(
      join(dir, 'wharf.yml'),
      [
        `entryPoints: {web: {address: "127.0.0.1:${port}"}, wharf: {address: "127.0.0.1:0"}}`,
        `providers: {file: {filename: ${JSON.stringify(join(dir, 'dynamic.yml'))}}}`,
        `accessLog: {filePath: ${JSON.stringify(access)}}`,
        `log: {filePath: ${JSON.stringify(main)}, level: INFO}`,
      ].join('\n'),
    );
    const started = spawn(
      process.execPath,
      [join(import.meta.dirname, '../../bin/wharf.js'), `--configFile=${join(dir, 'wharf.yml')}`],
      {
        env: programEnv(),
        stdio: 'ignore',
      },
    );
    child = started;
    const web = `http://127.0.0.1:${port}`;
    let first = 0;
    await until(
      () => existsSync(main) && readFileSync(main, 'utf8').includes('Wharf started'),
      'Wharf to start',
      30_000,
    );
    // The file provider's first snapshot may come just after the start line: ask until the router answers.
    const deadline = Date.now() + 10_000;
    while (first !== 200 && Date.now() < deadline)
      first = (await get(web, '/before', 'usr1.test').catch(() => ({ status: 0 }))).status;
    expect(first).toBe(200);
    await until(
      () => existsSync(access) && readFileSync(access, 'utf8').includes('/before'),
      'the first line',
    );
    await rename(access, `${access}.1`);
    await rename(main, `${main}.1`);
    started.kill('SIGUSR1');
    await until(() => existsSync(access) && existsSync(main), 'new log files after SIGUSR1');
    expect((await get(web, '/after', 'usr1.test')).status).toBe(200);
    await until(
      () => readFileSync(access, 'utf8').includes('/after'),
      'the line after SIGUSR1 in the new file',
    );
    expect(readFileSync(`${access}.1`, 'utf8')).not.toContain('/after');
    expect(readFileSync(`${main}.1`, 'utf8')).toContain('reopening log files');
    expect(started.exitCode).toBeNull();
  });
});
