import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { start } from '../procs.ts';
import type { ProxyContext, ProxyDef } from './proxy.ts';

// HAProxy as a peer: the idiomatic way to hold 10,000 Host routes is a map file (one hash lookup), not
// 10,000 ACLs. Every route has the same middlewares, so they sit in the one backend the map selects.

/** The haproxy.cfg for a scenario (the map file is written next to it). */
export function haproxyConf(ctx: ProxyContext, mapFile: string): string {
  const s = ctx.scenario;
  const prefix = s.stripPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // "/api/x" -> "/x", "/api" -> "/", "/apix" untouched: Traefik's stripPrefix semantics.
  const middlewares = s.middlewares
    ? `  http-request replace-path ^${prefix}(/|$)(.*) /\\2\n  http-request set-header X-Bench 1\n`
    : '';
  return `global
  nbthread 1
  maxconn 4096
  tune.bufsize 16384

defaults
  mode http
  option http-keep-alive
  option forwardfor
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
  timeout http-request 10s

frontend web
  bind 127.0.0.1:${ctx.port}
  acl known req.hdr(host),field(1,:),lower,map_str(${mapFile}) -m found
  use_backend routed if known
  default_backend notfound

backend routed
  http-reuse always
${middlewares}  server upstream 127.0.0.1:${ctx.backendPort}

backend notfound
  http-request return status 404
`;
}

/** The map file: one line "host route-name" per route. */
export function haproxyMap(ctx: ProxyContext): string {
  const lines: string[] = [];
  for (let i = 0; i < ctx.scenario.routes; i++) lines.push(`${ctx.scenario.hostOf(i)} r${i}`);
  return `${lines.join('\n')}\n`;
}

/** HAProxy as a peer proxy (foreground, one thread). */
export const haproxyProxy: ProxyDef = {
  name: 'haproxy',
  start: async (ctx) => {
    mkdirSync(ctx.dir, { recursive: true });
    const mapFile = join(ctx.dir, 'hosts.map');
    const cfg = join(ctx.dir, 'haproxy.cfg');
    writeFileSync(mapFile, haproxyMap(ctx));
    writeFileSync(cfg, haproxyConf(ctx, mapFile));
    return start('haproxy', ctx.bin, ['-db', '-f', cfg], {
      logFile: join(ctx.dir, 'stdout.log'),
      cpu: ctx.cpu,
    });
  },
};
