import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchPage, PAGE_PATH } from './html-page.ts';
import { freePort, httpGet, pollUntil, type Started, start } from './procs.ts';
import { nginxBackendConf, startNginxWith } from './proxies/nginx.ts';

/** The running upstream every proxy forwards to. */
export interface Backend {
  readonly kind: 'nginx' | 'node';
  readonly port: number;
  readonly proc: Started;
}

/**
 * Starts the upstream on a free loopback port: nginx with one worker when installed, otherwise a Node
 * http server (slower; it may then limit the fastest peers, which the report says).
 */
export async function startBackend(
  tmp: string,
  nginx: string | undefined,
  cpu: string | undefined,
): Promise<Backend> {
  const port = await freePort();
  const dir = join(tmp, 'backend');
  mkdirSync(dir, { recursive: true });
  // Scenario D's page, served by nginx from this folder (the Node backend makes it itself).
  writeFileSync(join(dir, PAGE_PATH.slice(1)), benchPage());
  let kind: Backend['kind'];
  let proc: Started;
  if (nginx !== undefined) {
    kind = 'nginx';
    proc = startNginxWith('backend (nginx)', nginx, dir, nginxBackendConf(dir, port), cpu);
  } else {
    kind = 'node';
    const script = join(import.meta.dirname, 'node-backend.ts');
    proc = start('backend (node)', process.execPath, [script, String(port)], {
      logFile: join(dir, 'stdout.log'),
      cpu,
    });
  }
  await pollUntil(
    `backend on 127.0.0.1:${port}`,
    async () => {
      const a = await httpGet(port, 'backend', '/probe', 1000);
      return a.status === 200 && a.body === 'xb= uri=/probe\n';
    },
    15_000,
    proc,
  );
  return { kind, port, proc };
}
