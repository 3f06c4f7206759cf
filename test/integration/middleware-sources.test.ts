import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { MiddlewareConfig } from '../../config/dynamic.ts';
import { type ConsulTestServer, startConsulTestServer } from '../consul/server.ts';
import { dockerForTests, freePort, runTestContainer, type TestContainer } from '../docker/engine.ts';
import { FIXTURE_DIR, fixtureFiles, loadFixture, toKv, toLabels } from '../helpers/middleware-sources.ts';
import { startWharf, type TestWharf } from '../helpers/wharf.ts';

// The cross-source fixtures (test/fixtures/middleware-sources/*.yml), all together, through real
// providers into one running Wharf: the file provider (the dynamic file), a real Docker Engine (one
// container's labels) and the Consul test server (KV pairs). Every middleware must be enabled in
// /api/http/middlewares from each provider, with the same configuration. providers/middleware-sources.test.ts
// compares the decoders fixture by fixture; this checks the providers and the compile step around them.

const engine = dockerForTests();
const skip = 'skip' in engine ? engine.skip : undefined;
if (skip) console.warn(`[docker] middleware cross-source test skipped: ${skip}`);

const suite = `mws-${randomBytes(4).toString('hex')}`;
const SUITE_LABEL = 'wharf-suite';
/** Consul's limit of operations in one transaction. */
const TXN_OPS = 64;

interface ApiMiddleware {
  name: string;
  provider: string;
  status: string;
  error?: string[];
  [key: string]: unknown;
}

/** What the API shows of a middleware's configuration: the item minus its name, provider, status and users. */
function configOf(m: ApiMiddleware): Record<string, unknown> {
  const { name: _n, provider: _p, status: _s, usedBy: _u, error: _e, ...config } = m;
  return config;
}

describe.skipIf(skip !== undefined)(
  'middlewares from a file, Docker labels and Consul KV, end to end',
  () => {
    const docker = 'docker' in engine ? engine.docker : (undefined as never);
    const host = 'host' in engine ? engine.host : '';
    const middlewares: Record<string, MiddlewareConfig> = {};
    // Services a fixture's middleware names (errors.service): given to the file provider only, and named
    // `@file` by the fixture, so the middleware reaches them from every provider.
    const services: Record<string, unknown> = {};
    // The fixtures as written, for the file provider: the loaded configuration holds decoded values
    // (durations in milliseconds), which a file would read back differently (a bare number is seconds).
    const written: Record<string, unknown> = {};
    let consul: ConsulTestServer;
    let container: TestContainer | undefined;
    let w: TestWharf;
    let dir: string | undefined;

    beforeAll(async () => {
      for (const file of fixtureFiles()) {
        const { config } = await loadFixture(file);
        for (const [name, m] of Object.entries(config.http?.middlewares ?? {})) {
          if (middlewares[name] !== undefined)
            throw new Error(`middleware "${name}" is defined twice (${file})`);
          middlewares[name] = m;
        }
        const raw = parse(await readFile(join(FIXTURE_DIR, file), 'utf8')) as {
          http?: { middlewares?: Record<string, unknown>; services?: Record<string, unknown> };
        };
        Object.assign(written, raw.http?.middlewares);
        Object.assign(services, raw.http?.services);
      }
      const combined = { http: { middlewares } };
      consul = await startConsulTestServer();
      const kv = toKv(combined);
      for (let i = 0; i < kv.length; i += TXN_OPS) {
        const ops = kv.slice(i, i + TXN_OPS).map((e) => ({
          KV: { Verb: 'set', Key: e.key, Value: Buffer.from(e.value).toString('base64') },
        }));
        const r = await request(`${consul.url}/v1/txn`, { method: 'PUT', body: JSON.stringify(ops) });
        const text = await r.body.text();
        if (r.statusCode !== 200) throw new Error(`Consul txn failed ${r.statusCode}: ${text}`);
      }
      container = await runTestContainer(docker, {
        port: await freePort(),
        labels: { [SUITE_LABEL]: suite, ...toLabels(combined) },
      });
      // The providers given here replace startWharf's, so the file provider is named again, on a file
      // of the fixtures together (startWharf's own dynamic file is in a folder it makes later).
      dir = await mkdtemp(join(tmpdir(), 'wharf-mws-'));
      const file = join(dir, 'middlewares.yml');
      await writeFile(file, stringify({ http: { middlewares: written, services } }));
      w = await startWharf(
        {},
        {
          providers: {
            providersThrottleDuration: '100ms',
            file: { filename: file, watch: false },
            docker: { endpoint: host, constraints: `Label(\`${SUITE_LABEL}\`,\`${suite}\`)` },
            consul: { endpoints: [consul.url] },
          },
        },
      );
    });
    afterAll(async () => {
      await w?.stop();
      await container?.remove();
      await consul?.close();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    it('every fixture middleware is enabled from each provider, with the same configuration', async () => {
      const names = Object.keys(middlewares).sort();
      expect(names.length).toBeGreaterThan(0);
      const providers = ['file', 'docker', 'consul'];
      const wanted = names.flatMap((n) => providers.map((p) => `${n}@${p}`));
      let listed: ApiMiddleware[] = [];
      const missing = async () => {
        // Traefik pages lists by 100: one page holds every fixture from the three providers.
        listed = (await w.getJson<ApiMiddleware[]>('/api/http/middlewares?per_page=1000')).body;
        return wanted.filter((q) => !listed.some((m) => m.name === q));
      };
      await expect
        .poll(missing, { timeout: 20_000, message: 'middlewares missing from /api/http/middlewares' })
        .toEqual([]);
      const byName = new Map(listed.map((m) => [m.name, m]));
      const notEnabled = wanted
        .map((q) => byName.get(q) as ApiMiddleware)
        .filter((m) => m.status !== 'enabled')
        .map((m) => `${m.name}: ${m.status} ${(m.error ?? []).join('; ')}`);
      expect(notEnabled, 'middlewares not enabled').toEqual([]);
      for (const n of names) {
        const fromFile = configOf(byName.get(`${n}@file`) as ApiMiddleware);
        expect(configOf(byName.get(`${n}@docker`) as ApiMiddleware), `${n}@docker against ${n}@file`).toEqual(
          fromFile,
        );
        expect(configOf(byName.get(`${n}@consul`) as ApiMiddleware), `${n}@consul against ${n}@file`).toEqual(
          fromFile,
        );
      }
    });
  },
);
