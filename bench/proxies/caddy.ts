import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Started, start } from '../procs.ts';
import type { ProxyContext, ProxyDef } from './proxy.ts';

// Caddy as a peer: a Caddyfile with one site block per Host route, the straight translation of one
// router per host. GOMAXPROCS=1 gives it one thread running Go code; admin API and automatic HTTPS off;
// its data and config folders point into its bench/.tmp/ folder.

/**
 * The Caddyfile for a scenario. merged: one site block whose address list names every host (Caddy then
 * has one route with one host matcher, which it searches quickly) instead of one site block per host
 * (one route per host, tried in order).
 */
export function caddyfile(ctx: ProxyContext, merged: boolean): string {
  const s = ctx.scenario;
  const upstream = `127.0.0.1:${ctx.backendPort}`;
  const body = s.middlewares
    ? `  handle_path ${s.stripPrefix}/* {\n    reverse_proxy ${upstream} {\n      header_up X-Bench 1\n    }\n  }`
    : `  reverse_proxy ${upstream}`;
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

function startCaddy(ctx: ProxyContext, merged: boolean): Started {
  mkdirSync(ctx.dir, { recursive: true });
  const file = join(ctx.dir, 'Caddyfile');
  writeFileSync(file, caddyfile(ctx, merged));
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
