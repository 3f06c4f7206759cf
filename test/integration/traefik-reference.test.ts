import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseConfigText } from '../../config/config-file.ts';
import { loadStaticConfig } from '../../config/load-static.ts';
import { validateDynamic } from '../../config/validate-dynamic.ts';
import { silentLogger } from '../../core/log.ts';
import { Wharf } from '../../router/wharf.ts';
import { type CertFactory, certFactory } from '../helpers/certs.ts';

// The rule for what Wharf does not support (docs/compatibility.md): a static file holding every key of
// Traefik v3.7's static reference loads, `wharf check` accepts it and Wharf starts with it; every key Wharf
// does not act on is one warning naming the key.

const BIN = join(import.meta.dirname, '../../bin/wharf.js');
const FIXTURE = join(import.meta.dirname, '../fixtures/traefik-reference/static.yaml');
const DYNAMIC = join(import.meta.dirname, '../fixtures/traefik-reference/dynamic.yaml');

let certs: CertFactory;
let configFile: string;

beforeAll(() => {
  certs = certFactory();
  const dir = certs.dir;
  const { certFile, keyFile } = certs.make('cert', ['localhost']);
  copyFileSync(keyFile, join(dir, 'key.pem'));
  copyFileSync(certFile, join(dir, 'ca.pem'));
  mkdirSync(join(dir, 'dynamic'));
  writeFileSync(join(dir, 'dynamic.yml'), 'http: {}\n');
  // The fixture names /etc/wharf, /var/log/wharf and /var/lib/wharf; here they are a temp folder, and every
  // entryPoint listens on a loopback port of the system's choosing.
  const text = readFileSync(FIXTURE, 'utf8').replace(/\/(etc|var\/log|var\/lib)\/wharf\//g, `${dir}/`);
  const tree = parse(text) as {
    entryPoints: Record<string, { address: string; transport?: { lifeCycle?: unknown } }>;
  };
  for (const ep of Object.values(tree.entryPoints)) {
    ep.address = '127.0.0.1:0';
    // The fixture's 42s of requestAcceptGraceTimeout would hold the stop for 42s.
    if (ep.transport) ep.transport.lifeCycle = { requestAcceptGraceTimeout: 0, graceTimeOut: '1s' };
  }
  tree.entryPoints.wharf = { address: '127.0.0.1:0' };
  configFile = join(dir, 'traefik.yml');
  writeFileSync(configFile, stringify(tree));
});

afterAll(() => certs.remove());

describe("Traefik v3.7's whole static reference", () => {
  it('loads with warnings only, each naming a key as not supported or deprecated', () => {
    const loaded = loadStaticConfig({ args: [`--configFile=${FIXTURE}`], env: {} });
    expect(loaded.ok ? [] : loaded.errors).toEqual([]);
    if (!loaded.ok) return;
    // core.defaultRuleSyntax is implemented, with Traefik's deprecation notice.
    for (const w of loaded.warnings)
      expect(w).toMatch(
        /^\[CONFIG_UNSUPPORTED\] \S+: .* not supported by Wharf|^\[CONFIG_DEPRECATED\] core\.defaultRuleSyntax/,
      );
    // One warning per key as written, never two for the same one.
    const keys = loaded.warnings.map((w) => w.split(' ')[1]);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain('providers.docker.httpClientTimeout:');
    expect(keys).toContain('certificatesResolvers.CertificateResolver0.tailscale:');
  });

  it('keeps a key Traefik does not have an error, with the nearest valid key', () => {
    const loaded = loadStaticConfig({
      args: ['--entryPoints.web.address=:80', '--entryPoints.web.transport.keepAliveMaxRequest=5'],
      env: {},
    });
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.errors.join('\n')).toContain(
      'did you mean "--entryPoints.web.transport.keepAliveMaxRequests"?',
    );
  });

  it('passes `wharf check`', async () => {
    const child = spawn(process.execPath, [BIN, 'check', `--configFile=${configFile}`], {
      env: { PATH: process.env.PATH ?? '' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    const [code] = (await once(child, 'exit')) as [number];
    expect(out).toMatch(/0 error\(s\)/);
    expect(code).toBe(0);
  });

  it('starts: every entryPoint listens and answers', async () => {
    const loaded = loadStaticConfig({ args: [`--configFile=${configFile}`], env: {} });
    expect(loaded.ok ? [] : loaded.errors).toEqual([]);
    if (!loaded.ok) return;
    const wharf = await Wharf.start({ staticConfig: loaded.config, logger: silentLogger() });
    try {
      for (const name of ['EntryPoint0', 'EntryPoint1']) {
        const res = await request(`http://127.0.0.1:${wharf.port(name)}/`, {
          headers: { host: 'example.com' },
        });
        await res.body.dump();
        // Both entryPoints redirect plain HTTP to https (EntryPoint1, :8443).
        expect(res.statusCode).toBe(301);
      }
    } finally {
      await wharf.stop();
    }
  });
});

describe("Traefik v3.7's whole dynamic reference", () => {
  const parsed = parseConfigText(readFileSync(DYNAMIC, 'utf8'), DYNAMIC);
  if (!parsed.ok) throw new Error(parsed.message);
  const { config, diagnostics } = validateDynamic(parsed.value, { source: 'file', subject: DYNAMIC });

  // Written so that implementing an option (it then loads) keeps this test true.
  const NOT_SUPPORTED = new Set(['CONFIG_UNSUPPORTED_UNSAFE', 'MIDDLEWARE_TYPE_UNSUPPORTED']);

  it('has no unknown key: an option Wharf lacks is a warning, or leaves its item out as not supported', () => {
    for (const d of diagnostics) {
      if (d.severity === 'error') {
        expect(NOT_SUPPORTED).toContain(d.code);
        expect(d.message).toContain('not supported');
      } else expect(['CONFIG_UNSUPPORTED', 'CONFIG_DEPRECATED']).toContain(d.code);
    }
  });

  it('keeps every item except those holding an option whose absence could weaken security', () => {
    const input = parsed.value as {
      http: Record<string, Record<string, unknown>>;
      tls: Record<string, Record<string, unknown>>;
    };
    const sections = [
      ['http', 'routers', config.http?.routers],
      ['http', 'services', config.http?.services],
      ['http', 'middlewares', config.http?.middlewares],
      ['http', 'serversTransports', config.http?.serversTransports],
      ['tls', 'options', config.tls?.options],
      ['tls', 'stores', config.tls?.stores],
    ] as const;
    const refused = new Set(diagnostics.filter((d) => NOT_SUPPORTED.has(d.code)).map((d) => d.item?.name));
    for (const [root, section, loaded] of sections) {
      for (const name of Object.keys(input[root]?.[section] ?? {})) {
        const item = root === 'tls' ? `${section}.${name}` : name;
        expect({ item, kept: loaded?.[name] !== undefined }).toEqual({ item, kept: !refused.has(item) });
      }
    }
    // What Wharf lacks today (docs/compatibility.md): plugin middlewares are never served.
    expect(config.http?.middlewares?.Middleware17).toBeUndefined();
    expect(Object.keys(config.http?.routers ?? {})).toEqual(['Router0', 'Router1']);
  });
});
