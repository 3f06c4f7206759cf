import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MALLOC_ENV, NODE_FLAGS } from '../../core/node-flags.ts';
import { freePort, httpGet, pollUntil, start } from '../procs.ts';
import type { Scenario } from '../scenarios.ts';
import type { ProxyContext, ProxyDef } from './proxy.ts';

// Wharf under test: a static file (entryPoints web + wharf, file provider, api.insecure, log ERROR, no
// access log) and a dynamic file in Traefik's format, started as `node bin/wharf.js --configFile <file>`.

/** Longest wait for /ping to answer 200 after start. */
const PING_DEADLINE_MS = 120_000;

/** The dynamic configuration of a scenario as a plain object (Traefik's dynamic-file shape). */
export function wharfDynamic(s: Scenario, backendPort: number): Record<string, unknown> {
  const routers: Record<string, unknown> = {};
  for (let i = 0; i < s.routes; i++) {
    routers[`r${i}`] = {
      rule: `Host(\`${s.hostOf(i)}\`)`,
      entryPoints: ['web'],
      service: 'backend',
      ...(s.middlewares ? { middlewares: ['strip', 'hdr'] } : {}),
    };
  }
  return {
    http: {
      routers,
      ...(s.middlewares
        ? {
            middlewares: {
              strip: { stripPrefix: { prefixes: [s.stripPrefix] } },
              hdr: { headers: { customRequestHeaders: { 'X-Bench': '1' } } },
            },
          }
        : {}),
      services: { backend: { loadBalancer: { servers: [{ url: `http://127.0.0.1:${backendPort}` }] } } },
    },
  };
}

/** The dynamic file as YAML, one flow-style line per router (quick to write and to read). */
export function wharfDynamicYaml(s: Scenario, backendPort: number): string {
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
    `    backend: { loadBalancer: { servers: [{ url: "http://127.0.0.1:${backendPort}" }] } }`,
  );
  return `${lines.join('\n')}\n`;
}

/** The static file. */
export function wharfStaticYaml(port: number, apiPort: number, dynamicFile: string): string {
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
`;
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
    writeFileSync(staticFile, wharfStaticYaml(ctx.port, apiPort, dynamicFile));
    const proc = start('wharf', process.execPath, [...NODE_FLAGS, ctx.bin, '--configFile', staticFile], {
      logFile: join(ctx.dir, 'stdout.log'),
      cpu: ctx.cpu,
      env: { NODE_ENV: 'production', ...MALLOC_ENV },
    });
    await pollUntil(
      `wharf /ping on 127.0.0.1:${apiPort}`,
      async () => (await httpGet(apiPort, `127.0.0.1:${apiPort}`, '/ping', 1000)).status === 200,
      PING_DEADLINE_MS,
      proc,
    );
    return proc;
  },
};
