import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MALLOC_ENV, NODE_FLAGS } from '../../core/node-flags.ts';
import { type Backend, startServer, until } from '../helpers/backends.ts';
import { ensureJemalloc } from '../helpers/native.ts';
import { programEnv } from '../helpers/program-env.ts';

const BIN = join(import.meta.dirname, '../../bin/wharf.js');

/** Runs the CLI to completion; returns exit code and output. */
async function wharf(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  const [code] = (await once(child, 'exit')) as [number];
  return { code, out, err };
}

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

let dir: string;
let slow: Backend;
let slowArrived = 0;
/** Answers the requests to /slow held so far (they wait until the test says, not for a fixed time). */
let releaseSlow = (): void => {};
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wharf-cli-'));
  const held: Array<() => void> = [];
  releaseSlow = () => {
    for (const answer of held.splice(0)) answer();
  };
  slow = await startServer((req, res) => {
    const answer = () => res.end(`done ${req.url}`);
    if (req.url !== '/slow') return answer();
    slowArrived++;
    held.push(answer);
  });
});
afterAll(async () => {
  releaseSlow();
  await slow?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('wharf check', () => {
  it('accepts a valid configuration and summarises it', async () => {
    await writeFile(
      join(dir, 'good-dyn.yml'),
      'http:\n  routers:\n    r: {rule: "Host(`a`)", service: s}\n  services:\n    s: {loadBalancer: {servers: [{url: "http://127.0.0.1:1"}]}}\n',
    );
    await writeFile(
      join(dir, 'good.yml'),
      `entryPoints: {web: {address: ":8000"}}\nproviders: {file: {filename: ${JSON.stringify(join(dir, 'good-dyn.yml'))}}}\n`,
    );
    const r = await wharf(['check', `--configFile=${join(dir, 'good.yml')}`]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/1 router\(s\), 1 service\(s\), 0 middleware\(s\); 0 error\(s\)/);
  });

  it('prints every problem with its code and place, and exits 1', async () => {
    await writeFile(
      join(dir, 'bad-dyn.yml'),
      [
        'http:',
        '  routers:',
        '    badrule: {rule: "Host(`a`", service: s}',
        '    typo: {rule: "Host(`b`)", service: s, priorty: 3}',
        '    nosvc: {rule: "Host(`c`)", service: ghost}',
        '  services:',
        '    s: {loadBalancer: {servers: [{url: "http://127.0.0.1:1"}]}}',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'bad.yml'),
      `providers: {file: {filename: ${JSON.stringify(join(dir, 'bad-dyn.yml'))}}}\n`,
    );
    const r = await wharf(['check', '--configFile', join(dir, 'bad.yml')]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/error RULE_SYNTAX: router "badrule@file": .*column/);
    expect(r.out).toMatch(/error CONFIG_UNKNOWN_KEY: .*priorty.*priority.*line 4/);
    expect(r.out).toMatch(
      /error ROUTER_SERVICE_MISSING: router "nosvc@file": service "ghost@file" does not exist/,
    );
    expect(r.out).toMatch(/3 error\(s\)/);
  });

  it('reports rules nested too deep or too long on their routers, with no stack trace', async () => {
    const deep = `${'('.repeat(10_000)}Host(\`d\`)${')'.repeat(10_000)}`;
    const nots = `${'!'.repeat(10_000)}Host(\`n\`)`;
    const ors = Array.from({ length: 6000 }, (_, i) => `Path(\`/${i}\`)`).join('||');
    const rules = { deep, nots, ors, good: 'Host(`g`)' };
    await writeFile(
      join(dir, 'deep-dyn.yml'),
      [
        'http:',
        '  routers:',
        ...Object.entries(rules).map(
          ([name, rule]) => `    ${name}: {rule: ${JSON.stringify(rule)}, service: s}`,
        ),
        '  services:',
        '    s: {loadBalancer: {servers: [{url: "http://127.0.0.1:1"}]}}',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'deep.yml'),
      `providers: {file: {filename: ${JSON.stringify(join(dir, 'deep-dyn.yml'))}}}\n`,
    );
    const r = await wharf(['check', '--configFile', join(dir, 'deep.yml')]);
    expect(r.err).not.toMatch(/RangeError|call stack|\n\s+at /);
    expect(r.code).toBe(1);
    for (const name of ['deep', 'nots'])
      expect(r.out).toMatch(
        new RegExp(`error RULE_TOO_COMPLEX: router "${name}@file": .*nest deeper than 100`),
      );
    expect(r.out).toMatch(/error RULE_TOO_COMPLEX: router "ors@file": .*too long: \d+ characters/);
    expect(r.out).toMatch(/3 error\(s\)/);

    await writeFile(
      join(dir, 'deep.labels'),
      `${Object.entries(rules)
        .map(([name, rule]) => `wharf.http.routers.${name}.rule=${rule}`)
        .join('\n')}\nwharf.http.services.s.loadbalancer.server.port=80\n`,
    );
    const labels = await wharf(['check', '--labels', join(dir, 'deep.labels')]);
    expect(labels.err).not.toMatch(/RangeError|call stack|\n\s+at /);
    expect(labels.code).toBe(1);
    expect(labels.out).toMatch(/RULE_TOO_COMPLEX.*deep/);
    expect(labels.out).toMatch(/RULE_TOO_COMPLEX.*nots/);
    expect(labels.out).toMatch(/RULE_TOO_COMPLEX.*ors/);
  });

  it('rejects an unknown static key with a suggestion, naming where it came from', async () => {
    const flag = await wharf(['check', '--entryPoints.web.adress=:80']);
    expect(flag.code).toBe(1);
    expect(flag.err).toMatch(/CONFIG_UNKNOWN_KEY.*adress.*did you mean.*address/);
    const env = await wharf(['check'], { WHARF_ENTRYPOINTS_WEB_ADRESS: ':80' });
    expect(env.code).toBe(1);
    expect(env.err).toMatch(/WHARF_ENTRYPOINTS_WEB_ADRESS/);
  });

  it('reports a bad address as a static error', async () => {
    const r = await wharf(['check', '--entryPoints.web.address=nonsense']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/entryPoints\.web\.address: "nonsense" is not an address/);
  });
});

describe('wharf version and help', () => {
  it('prints them', async () => {
    expect((await wharf(['version'])).out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect((await wharf(['--help'])).out).toContain('wharf healthcheck');
    expect((await wharf(['frobnicate'])).code).toBe(2);
  });
});

// bin/launch.js preloads jemalloc when installed (core/node-flags.ts); WHARF_MALLOC=glibc keeps glibc's
// malloc. The harness installs libjemalloc2 as root on Debian (test/helpers/native.ts).
describe('the allocator', () => {
  let jemalloc: { path: string } | { skip: string };
  beforeAll(async () => {
    jemalloc = await ensureJemalloc();
  }, 300_000);

  /** Starts bin/wharf.js as a bare program; resolves with its environment, its maps and its start line. */
  async function launched(extraEnv: Record<string, string>) {
    const staticFile = join(dir, 'alloc.yml');
    await writeFile(
      staticFile,
      `entryPoints:\n  web: {address: "127.0.0.1:${await freePort()}"}\nlog: {format: json}\n`,
    );
    const bin = process.execPath.slice(0, process.execPath.lastIndexOf('/'));
    const child = spawn(BIN, ['--configFile', staticFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: dir, ...extraEnv },
    });
    try {
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d: Buffer) => (stdout += d));
      child.stderr?.on('data', (d: Buffer) => (stderr += d));
      await expect.poll(() => stdout.includes('Wharf started'), { timeout: 10_000 }).toBe(true);
      const environ = (await readFile(`/proc/${child.pid}/environ`, 'utf8')).split('\0');
      const maps = await readFile(`/proc/${child.pid}/maps`, 'utf8');
      const line = JSON.parse(stdout.split('\n').find((l) => l.includes('Wharf started')) as string);
      return { environ, maps, line, stderr };
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
  }

  it('runs on jemalloc when it is installed: LD_PRELOAD set by the re-execution, the library mapped, the start line says so', async (ctx) => {
    if ('skip' in jemalloc) return ctx.skip(jemalloc.skip);
    const { environ, maps, line } = await launched({});
    expect(environ).toContain(`LD_PRELOAD=${jemalloc.path}`);
    expect(maps).toContain(jemalloc.path);
    expect(line.allocator).toBe('jemalloc');
  }, 30_000);

  it("WHARF_MALLOC=glibc keeps glibc's malloc (and is not read as configuration); an unknown value says so", async (ctx) => {
    if ('skip' in jemalloc) return ctx.skip(jemalloc.skip);
    const glibc = await launched({ WHARF_MALLOC: 'glibc' });
    expect(glibc.environ.filter((e) => e.startsWith('LD_PRELOAD='))).toEqual([]);
    expect(glibc.maps).not.toContain('jemalloc');
    expect(glibc.line.allocator).toBe('glibc');
    const bogus = await launched({ WHARF_MALLOC: 'hoard' });
    expect(bogus.stderr).toContain('WHARF_MALLOC=hoard is not an allocator Wharf knows');
    expect(bogus.line.allocator).toBe('glibc');
  }, 30_000);
});

describe('serving, healthcheck and graceful shutdown', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('bin/wharf.js started by a bare `node` re-executes itself (same PID) with the memory settings: malloc variables, V8 flags, the collection after a swap', async () => {
    const [web, internal] = [await freePort(), await freePort()];
    await writeFile(
      join(dir, 'mem-dyn.yml'),
      `http:\n  routers:\n    r: {rule: "PathPrefix(\`/\`)", service: s}\n  services:\n    s: {loadBalancer: {servers: [{url: "${slow.url}"}]}}\n`,
    );
    const staticFile = join(dir, 'mem.yml');
    await writeFile(
      staticFile,
      `entryPoints:\n  web: {address: "127.0.0.1:${web}"}\n  wharf: {address: "127.0.0.1:${internal}"}\nproviders: {file: {filename: ${JSON.stringify(join(dir, 'mem-dyn.yml'))}}}\nping: {}\nlog: {level: DEBUG, format: json}\n`,
    );
    // Executed as a program, as an npm-installed `wharf` is (PATH finds this Node), with none of the
    // settings in the command line or the environment.
    const bin = process.execPath.slice(0, process.execPath.lastIndexOf('/'));
    child = spawn(BIN, ['--configFile', staticFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: dir },
    });
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d));
    await expect
      .poll(() => stdout.includes('heap collected after a configuration swap'), { timeout: 10_000 })
      .toBe(true);
    const line = JSON.parse(stdout.split('\n').find((l) => l.includes('heap collected')) as string);
    expect(line).toMatchObject({ beforeMiB: expect.any(Number), afterMiB: expect.any(Number) });
    const environ = (await readFile(`/proc/${child.pid}/environ`, 'utf8')).split('\0');
    expect(environ).toEqual(expect.arrayContaining(Object.entries(MALLOC_ENV).map(([k, v]) => `${k}=${v}`)));
    const cmdline = (await readFile(`/proc/${child.pid}/cmdline`, 'utf8')).split('\0');
    expect(cmdline).toEqual(expect.arrayContaining([...NODE_FLAGS]));
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect(((await exited) as [number])[0]).toBe(0);
  }, 30_000);

  // graceTimeOut is 1 h: waiting for an idle keep-alive client (or anything but the request in flight)
  // would hold the exit past the test's timeout, so exiting at all shows the drain ends when requests do.
  it('drains requests in flight on SIGTERM, answers ping 503 meanwhile, and exits 0 without waiting for idle clients', async () => {
    const [web, internal] = [await freePort(), await freePort()];
    await writeFile(
      join(dir, 'serve-dyn.yml'),
      `http:\n  routers:\n    r: {rule: "PathPrefix(\`/\`)", service: s}\n  services:\n    s: {loadBalancer: {servers: [{url: "${slow.url}"}]}}\n`,
    );
    const staticFile = join(dir, 'serve.yml');
    await writeFile(
      staticFile,
      `entryPoints:\n  web: {address: "127.0.0.1:${web}", transport: {lifeCycle: {graceTimeOut: 1h}}}\n  wharf: {address: "127.0.0.1:${internal}", transport: {lifeCycle: {requestAcceptGraceTimeout: 1s}}}\nproviders: {file: {filename: ${JSON.stringify(join(dir, 'serve-dyn.yml'))}}}\nping: {}\nlog: {level: ERROR}\n`,
    );
    child = spawn(process.execPath, [BIN, '--configFile', staticFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: programEnv(),
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d));
    const ping = async () => {
      try {
        const r = await request(`http://127.0.0.1:${internal}/ping`);
        await r.body.dump();
        return r.statusCode;
      } catch {
        return 0;
      }
    };
    // /ping answers once the listeners are up (as Traefik's does), which can be before the file's first
    // configuration is in service: wait for the route itself.
    await expect.poll(ping, { timeout: 10_000 }).toBe(200);
    const fast = async () => {
      const r = await request(`http://127.0.0.1:${web}/fast`);
      return r.body.text();
    };
    await expect.poll(fast, { timeout: 10_000 }).toBe('done /fast');
    expect((await wharf(['healthcheck', '--configFile', staticFile])).code).toBe(0);

    const inflight = request(`http://127.0.0.1:${web}/slow`).then(async (r) => ({
      status: r.statusCode,
      text: await r.body.text(),
    }));
    await until(() => slowArrived === 1, 'the slow request to reach the backend');
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    // During requestAcceptGraceTimeout listeners still accept and /ping says 503 so balancers move away.
    await expect.poll(ping, { timeout: 2000 }).toBe(503);
    // Still draining: the request in flight has not been answered, so the process has not exited.
    expect(child.exitCode).toBe(null);
    releaseSlow();
    expect(await inflight).toEqual({ status: 200, text: 'done /slow' });
    const [code] = (await exited) as [number];
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect((await wharf(['healthcheck', '--configFile', staticFile])).code).toBe(1);
  }, 30_000);
});

describe('wharf check --labels on a compose file (issue 18)', () => {
  const compose = [
    'services:',
    '  web:',
    '    expose: ["8080"]',
    '    labels:',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose interpolation syntax under test
    '      - wharf.http.routers.web.rule=Host(`${DOMAIN}`)',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose interpolation syntax under test
    '      - wharf.http.services.web.loadbalancer.server.port=${PORT}',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose interpolation syntax under test
    '      - wharf.http.routers.web.service=${SVC:-web}',
    '',
  ].join('\n');

  it('reads the .env beside the compose file, names unset variables, and prints JSON', async () => {
    const stack = join(dir, 'stack');
    await mkdir(stack, { recursive: true });
    await writeFile(join(stack, 'compose.yml'), compose);
    await writeFile(join(stack, '.env'), 'DOMAIN=from-dotenv.test\n');
    const r = await wharf(['check', '--labels', join(stack, 'compose.yml'), '--format', 'json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as {
      routers: Record<string, { rule: string; status: string }>;
      unresolvedVariables: string[];
    };
    expect(report.routers['web@docker']).toMatchObject({
      rule: 'Host(`from-dotenv.test`)',
      status: 'enabled',
    });
    expect(report.unresolvedVariables).toEqual(['PORT']);
  });

  it('--env-file replaces the .env file, and the environment wins over both', async () => {
    const stack = join(dir, 'stack2');
    await mkdir(stack, { recursive: true });
    await writeFile(join(stack, 'compose.yml'), compose);
    await writeFile(join(stack, '.env'), 'DOMAIN=from-dotenv.test\n');
    await writeFile(join(stack, 'prod.env'), 'DOMAIN=from-env-file.test\nPORT=8080\n');
    const file = join(stack, 'compose.yml');
    const envFile = join(stack, 'prod.env');
    const r = await wharf(['check', '--labels', file, '--env-file', envFile]);
    expect(r.out).toContain('rule=Host(`from-env-file.test`)');
    expect(r.out).not.toContain('is not set');
    const shell = await wharf(['check', '--labels', file, '--env-file', envFile], {
      DOMAIN: 'from-shell.test',
    });
    expect(shell.out).toContain('rule=Host(`from-shell.test`)');
  });
});
