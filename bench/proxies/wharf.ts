import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { MALLOC_ENV, NODE_FLAGS } from '../../core/node-flags.ts';
import { freePort, httpGet, pollUntil, type Started, start, stop } from '../procs.ts';
import type { Guard, Scenario } from '../scenarios.ts';
import type { ProxyContext, ProxyDef } from './proxy.ts';

// Wharf under test: a static file (entryPoints web + wharf, file provider, api.insecure, log ERROR, no
// access log) and a dynamic file in Traefik's format, started as `node bin/wharf.js --configFile <file>`.

/** Longest wait for /ping to answer 200 after start. */
const PING_DEADLINE_MS = 120_000;

/** The dynamic configuration of a scenario as a plain object (Traefik's dynamic-file shape). */
export function wharfDynamic(s: Scenario, backendPort: number): Record<string, unknown> {
  if (s.guard !== undefined) return guardedDynamic(s, s.guard, backendPort);
  const routers: Record<string, unknown> = {};
  for (let i = 0; i < s.routes; i++) {
    routers[`r${i}`] = {
      rule: `Host(\`${s.hostOf(i)}\`)`,
      entryPoints: ['web'],
      service: 'backend',
      ...(s.middlewares ? { middlewares: ['strip', 'hdr'] } : {}),
      ...(s.gzip === true ? { middlewares: ['gzip'] } : {}),
      ...(s.rateLimit !== undefined ? { middlewares: ['limit'] } : {}),
      ...(s.ban !== undefined ? { middlewares: ['ban'] } : {}),
    };
  }
  return {
    http: {
      routers,
      // Scenario D: gzip only, at the middleware's level (5, as Traefik's and Caddy's default).
      ...(s.gzip === true ? { middlewares: { gzip: { compress: { encodings: ['gzip'] } } } } : {}),
      // Scenario E: a limit the load never reaches (per client IP, Traefik's default source).
      ...(s.rateLimit !== undefined ? { middlewares: { limit: { rateLimit: { ...s.rateLimit } } } } : {}),
      // bench:ban: a ban the load never sets off (memory store).
      ...(s.ban !== undefined ? { middlewares: { ban: { ban: { ...s.ban } } } } : {}),
      ...(s.middlewares
        ? {
            middlewares: {
              strip: { stripPrefix: { prefixes: [s.stripPrefix] } },
              hdr: { headers: { customRequestHeaders: { 'X-Bench': '1' } } },
            },
          }
        : {}),
      services: {
        backend: {
          loadBalancer: {
            // BENCH_STRATEGY=p2c (or hrw, leasttime) measures a strategy against the default wrr.
            ...(process.env.BENCH_STRATEGY ? { strategy: process.env.BENCH_STRATEGY } : {}),
            servers: [{ url: `http://127.0.0.1:${backendPort}` }],
          },
        },
      },
    },
  };
}

/**
 * Scenario C in Traefik's option names: the router's middlewares run CORS headers (a preflight is answered
 * there, before authentication), the IP allow list, then basic auth with the bcrypt htpasswd line. A second
 * router, same chain, has an allow list that leaves 127.0.0.1 out.
 */
function guardedDynamic(s: Scenario, g: Guard, backendPort: number): Record<string, unknown> {
  const router = (host: string, allow: string) => ({
    rule: `Host(\`${host}\`)`,
    entryPoints: ['web'],
    service: 'backend',
    middlewares: ['cors', allow, 'auth'],
  });
  return {
    http: {
      routers: { r0: router(s.host, 'allow'), denied: router(g.deniedHost, 'deny') },
      middlewares: {
        cors: {
          headers: {
            accessControlAllowOriginList: [g.origin],
            accessControlAllowMethods: [...g.allowMethods],
            accessControlAllowHeaders: [...g.allowHeaders],
            accessControlMaxAge: g.maxAgeS,
            addVaryHeader: true,
          },
        },
        allow: { ipAllowList: { sourceRange: [g.sourceRange] } },
        deny: { ipAllowList: { sourceRange: [g.deniedRange] } },
        auth: { basicAuth: { users: [g.htpasswd], realm: g.realm } },
      },
      services: { backend: { loadBalancer: { servers: [{ url: `http://127.0.0.1:${backendPort}` }] } } },
    },
  };
}

/** The dynamic file as YAML, one flow-style line per router (quick to write and to read). */
export function wharfDynamicYaml(s: Scenario, backendPort: number): string {
  if (s.guard !== undefined || s.gzip === true || s.rateLimit !== undefined || s.ban !== undefined)
    return stringify(wharfDynamic(s, backendPort));
  const mw = s.middlewares ? ', middlewares: [strip, hdr]' : '';
  const lines = ['http:', '  routers:'];
  for (let i = 0; i < s.routes; i++) {
    lines.push(`    r${i}: { rule: "Host(\`${s.hostOf(i)}\`)", entryPoints: [web], service: backend${mw} }`);
  }
  if (s.middlewares) {
    lines.push(
      '  middlewares:',
      `    strip: { stripPrefix: { prefixes: ["${s.stripPrefix}"] } }`,
      '    hdr: { headers: { customRequestHeaders: { X-Bench: "1" } } }',
    );
  }
  lines.push(
    '  services:',
    // BENCH_STRATEGY=p2c (or hrw, leasttime) measures a strategy against the default wrr.
    `    backend: { loadBalancer: { ${process.env.BENCH_STRATEGY ? `strategy: ${process.env.BENCH_STRATEGY}, ` : ''}servers: [{ url: "http://127.0.0.1:${backendPort}" }] } }`,
  );
  return `${lines.join('\n')}\n`;
}

/** The static file; with `tracing`, a tracing section exporting to its endpoint (bench/otlp-sink.ts). */
export function wharfStaticYaml(
  port: number,
  apiPort: number,
  dynamicFile: string,
  tracing?: ProxyContext['tracing'],
): string {
  const traced = tracing
    ? `tracing:
  sampleRate: ${tracing.sampleRate}
  otlp:
    http:
      endpoint: ${JSON.stringify(tracing.endpoint)}
`
    : '';
  return `entryPoints:
  web:
    address: "127.0.0.1:${port}"
  wharf:
    address: "127.0.0.1:${apiPort}"
providers:
  file:
    filename: ${JSON.stringify(dynamicFile)}
    watch: false
api:
  insecure: true
ping: {}
log:
  level: ERROR
${traced}`;
}

/** Wharf; ctx.bin is the path of bin/wharf.js, run with this Node (process.execPath) and Wharf's NODE_FLAGS. */
export const wharfProxy: ProxyDef = {
  name: 'wharf',
  start: async (ctx: ProxyContext) => {
    mkdirSync(ctx.dir, { recursive: true });
    const apiPort = await freePort();
    // Fixed names in bench/.tmp/ (the brief's wharf-static.yml), rewritten for each scenario.
    const tmp = join(ctx.dir, '..');
    const dynamicFile = join(tmp, 'wharf-dynamic.yml');
    const staticFile = join(tmp, 'wharf-static.yml');
    writeFileSync(dynamicFile, wharfDynamicYaml(ctx.scenario, ctx.backendPort));
    writeFileSync(staticFile, wharfStaticYaml(ctx.port, apiPort, dynamicFile, ctx.tracing));
    const proc = start(
      'wharf',
      process.execPath,
      [...NODE_FLAGS, ctx.bin, '--configFile', staticFile, ...(ctx.extraArgs ?? [])],
      {
        logFile: join(ctx.dir, 'stdout.log'),
        cpu: ctx.cpu,
        env: { NODE_ENV: 'production', ...MALLOC_ENV },
      },
    );
    await pollUntil(
      `wharf /ping on 127.0.0.1:${apiPort}`,
      async () => (await httpGet(apiPort, `127.0.0.1:${apiPort}`, '/ping', 1000)).status === 200,
      PING_DEADLINE_MS,
      proc,
    );
    if (ctx.scenario.guard !== undefined) {
      // Scenario C needs middlewares a build may lack (an older one via --wharf-bin): say so at once,
      // with Wharf's own errors, rather than after the 180 s wait for the route.
      const problem = await disabledRouters(apiPort, proc);
      if (problem !== undefined) {
        await stop(proc);
        throw new Error(problem);
      }
    }
    return proc;
  },
};

/** Once the configuration is in service (routers in /api/overview), the disabled routers' errors, if any. */
async function disabledRouters(apiPort: number, proc: Started): Promise<string | undefined> {
  const host = `127.0.0.1:${apiPort}`;
  let routers = { total: 0, errors: 0 };
  await pollUntil(
    'wharf: routers in /api/overview',
    async () => {
      const a = await httpGet(apiPort, host, '/api/overview', 1000);
      if (a.status !== 200) return false;
      routers = (JSON.parse(a.body) as { http: { routers: typeof routers } }).http.routers;
      return routers.total > 0;
    },
    PING_DEADLINE_MS,
    proc,
  );
  if (routers.errors === 0) return undefined;
  const list = await httpGet(apiPort, host, '/api/http/routers?status=disabled', 2000);
  return `wharf: ${routers.errors} router(s) disabled (this build lacks what the scenario needs?): ${list.body}`;
}
