import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PAGE_PATH } from '../html-page.ts';
import { type Started, start } from '../procs.ts';
import type { ProxyContext, ProxyDef } from './proxy.ts';

// nginx as the shared upstream (the backend) and as a peer proxy. One worker, no access log, everything
// it writes (pid, error log, temp folders) under its own folder in bench/.tmp/.

function header(dir: string): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `  ${t}_temp_path ${join(dir, `${t}_temp`)};`)
    .join('\n');
  return `worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} error;
events { worker_connections 8192; multi_accept on; }
http {
  access_log off;
  default_type text/plain;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
${temp}
`;
}

/**
 * The backend: answers 200 "xb=<X-Bench> uri=<path>\n" to everything, so a routing check can see that
 * the header arrived and the prefix was stripped; scenario D's page (PAGE_PATH) is the file of that name
 * in dir, as text/html, uncompressed (the backend has no gzip).
 */
export function nginxBackendConf(dir: string, port: number): string {
  return `${header(dir)}
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / { return 200 "xb=$http_x_bench uri=$uri\\n"; }
    location = ${PAGE_PATH} { root ${dir}; types { } default_type text/html; charset utf-8; }
  }
}
`;
}

/** The peer proxy: one server block per Host route, upstream keep-alive, 404 for unknown hosts. */
export function nginxProxyConf(ctx: ProxyContext): string {
  const { scenario: s, port, dir } = ctx;
  const common = [
    'proxy_http_version 1.1;',
    'proxy_set_header Connection "";',
    'proxy_set_header Host $host;',
    'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
  ];
  // With middlewares: "location /api/" + "proxy_pass http://backend/" replaces the prefix by "/".
  // Scenario D: gzip at level 5 (Caddy's and Wharf's; nginx's default is 1), Vary added; text/html is
  // always in gzip_types, and gzip_proxied concerns requests that came through a proxy (a Via header).
  const gzip = s.gzip === true ? ['gzip on;', 'gzip_comp_level 5;', 'gzip_vary on;'] : [];
  const location = s.middlewares
    ? `location ${s.stripPrefix}/ { ${[...common, 'proxy_set_header X-Bench 1;', 'proxy_pass http://backend/;'].join(' ')} }`
    : `location / { ${[...common, ...gzip, 'proxy_pass http://backend;'].join(' ')} }`;
  const servers: string[] = [];
  for (let i = 0; i < s.routes; i++) {
    servers.push(`  server { listen 127.0.0.1:${port}; server_name ${s.hostOf(i)}; ${location} }`);
  }
  return `${header(dir)}
  server_names_hash_max_size 65536;
  server_names_hash_bucket_size 128;
  upstream backend { server 127.0.0.1:${ctx.backendPort}; keepalive 64; keepalive_requests 1000000; }
  server { listen 127.0.0.1:${port} default_server backlog=4096; server_name _; return 404; }
${servers.join('\n')}
}
`;
}

/** Starts nginx on a config file in the foreground (master + 1 worker; stopping the master stops both). */
export function startNginxWith(
  name: string,
  bin: string,
  dir: string,
  conf: string,
  cpu: string | undefined,
): Started {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf);
  return start(name, bin, ['-p', dir, '-c', file, '-e', join(dir, 'error.log')], {
    logFile: join(dir, 'stdout.log'),
    cpu,
  });
}

/** nginx as a peer proxy. */
export const nginxProxy: ProxyDef = {
  name: 'nginx',
  start: async (ctx) => startNginxWith('nginx', ctx.bin, ctx.dir, nginxProxyConf(ctx), ctx.cpu),
};
