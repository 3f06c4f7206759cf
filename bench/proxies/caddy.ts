import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Started, start } from '../procs.ts';
import type { Guard } from '../scenarios.ts';
import type { ProxyContext, ProxyDef } from './proxy.ts';

// Caddy as a peer: a Caddyfile with one site block per Host route, the straight translation of one
// router per host. GOMAXPROCS=1 gives it one thread running Go code; admin API and automatic HTTPS off;
// its data and config folders point into its bench/.tmp/ folder.

/**
 * The Caddyfile for a scenario. merged: one site block whose address list names every host (Caddy then
 * has one route with one host matcher, which it searches quickly) instead of one site block per host
 * (one route per host, tried in order).
 */
export function caddyfile(ctx: ProxyContext, merged: boolean, authDirective = 'basic_auth'): string {
  const s = ctx.scenario;
  const upstream = `127.0.0.1:${ctx.backendPort}`;
  if (s.guard !== undefined) return guardedCaddyfile(ctx, s.guard, upstream, authDirective);
  // Scenario D: `encode gzip` at Caddy's default level, 5 (modules/caddyhttp/encode/gzip: defaultGzipLevel).
  const encode = s.gzip === true ? '  encode gzip\n' : '';
  const body = s.middlewares
    ? `  handle_path ${s.stripPrefix}/* {\n    reverse_proxy ${upstream} {\n      header_up X-Bench 1\n    }\n  }`
    : `${encode}  reverse_proxy ${upstream}`;
  const sites: string[] = [];
  const block = (addresses: string): string => `${addresses} {\n  bind 127.0.0.1\n${body}\n}`;
  const address = (i: number): string => `http://${s.hostOf(i)}:${ctx.port}`;
  if (merged) sites.push(block(Array.from({ length: s.routes }, (_, i) => address(i)).join(', ')));
  else for (let i = 0; i < s.routes; i++) sites.push(block(address(i)));
  return `{
  admin off
  auto_https off
}

${sites.join('\n\n')}
`;
}

/**
 * The basic auth directive's name in a Caddy version (`caddy version`'s first word, e.g. `v2.6.2 h1:...`):
 * `basicauth` before 2.8, `basic_auth` since (the old name then still works, with a warning).
 */
export function caddyAuthDirective(version: string): 'basicauth' | 'basic_auth' {
  const m = /v?(\d+)\.(\d+)/.exec(version);
  if (m === null) return 'basic_auth';
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major < 2 || (major === 2 && minor < 8) ? 'basicauth' : 'basic_auth';
}

/**
 * Scenario C as Caddy does it. One `route` keeps the directives in the order written (Caddy otherwise sorts
 * them: `basicauth` would run before `respond`), matching Wharf's middleware order: CORS headers (on every
 * answer; a preflight answered here, without credentials, as Traefik's headers middleware does), the IP
 * allow list (`remote_ip`: the connection's address), basic auth (bcrypt; Caddy keeps a cache of verified
 * credentials), then the proxy. A second site, same chain, leaves 127.0.0.1 out of its allow list.
 */
function guardedCaddyfile(ctx: ProxyContext, g: Guard, upstream: string, authDirective: string): string {
  const [user, hash] = splitHtpasswd(g.htpasswd);
  const site = (host: string, range: string): string => `http://${host}:${ctx.port} {
  bind 127.0.0.1
  route {
    header Vary Origin
    @origin header Origin ${g.origin}
    header @origin Access-Control-Allow-Origin ${g.origin}
    @preflight {
      method OPTIONS
      header Origin ${g.origin}
      header Access-Control-Request-Method *
    }
    header @preflight {
      Access-Control-Allow-Methods ${g.allowMethods.join(',')}
      Access-Control-Allow-Headers ${g.allowHeaders.join(',')}
      Access-Control-Max-Age ${g.maxAgeS}
    }
    respond @preflight 200
    @outside not remote_ip ${range}
    respond @outside 403
    ${authDirective} bcrypt ${g.realm} {
      ${user} ${hash}
    }
    reverse_proxy ${upstream}
  }
}`;
  return `{
  admin off
  auto_https off
}

${site(ctx.scenario.host, g.sourceRange)}

${site(g.deniedHost, g.deniedRange)}
`;
}

/** `user:hash` to its two parts. */
function splitHtpasswd(line: string): [string, string] {
  const i = line.indexOf(':');
  return [line.slice(0, i), line.slice(i + 1)];
}

function startCaddy(ctx: ProxyContext, merged: boolean): Started {
  mkdirSync(ctx.dir, { recursive: true });
  const file = join(ctx.dir, 'Caddyfile');
  const version = spawnSync(ctx.bin, ['version'], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
  writeFileSync(file, caddyfile(ctx, merged, caddyAuthDirective(version)));
  return start('caddy', ctx.bin, ['run', '--config', file, '--adapter', 'caddyfile'], {
    logFile: join(ctx.dir, 'stdout.log'),
    cpu: ctx.cpu,
    env: {
      GOMAXPROCS: '1',
      HOME: ctx.dir,
      XDG_DATA_HOME: join(ctx.dir, 'data'),
      XDG_CONFIG_HOME: join(ctx.dir, 'config'),
    },
  });
}

/** Caddy as a peer proxy, one site block per route. */
export const caddyProxy: ProxyDef = { name: 'caddy', start: async (ctx) => startCaddy(ctx, false) };

/** Caddy with all hosts in one site block (scenario B only). */
export const caddyMergedProxy: ProxyDef = {
  name: 'caddy-merged',
  start: async (ctx) => startCaddy(ctx, true),
};
