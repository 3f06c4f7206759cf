import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { MALLOC_ENV, NODE_FLAGS } from '../core/node-flags.ts';
import { decodeKvEntries } from '../providers/consul/decode.ts';
import { startConsulTestServer } from '../test/consul/server.ts';
import { freePort, httpGet, pollUntil, start, stop } from './procs.ts';

// `npm run bench:consul`: how fast a KV transaction reaches the routing table, and how fast the KV tree
// decodes. Wharf runs as a child process with the Consul provider at the default throttle (100 ms), against
// the Consul test server (test/consul/) on 127.0.0.1; a Node backend answers on 127.0.0.1.
//  1. With 1,000 routers stored: 100 changes, each one transaction adding a router; the time from the
//     transaction's answer to the first 200 through Wharf. p50 and p99. Changes are spaced past the
//     throttle, so each is measured on its own.
//  2. Decoding a 10,000-router tree (the provider's work per change): median of 10.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TMP = join(ROOT, 'bench', '.tmp', 'consul');

function parseArgs(argv: readonly string[]): { stored: number; changes: number; decode: number } {
  const a = { stored: 1000, changes: 100, decode: 10_000 };
  for (const x of argv) {
    if (x === '--quick') Object.assign(a, { stored: 100, changes: 20, decode: 1000 });
    else if (x.startsWith('--stored=')) a.stored = Number(x.slice(9));
    else if (x.startsWith('--changes=')) a.changes = Number(x.slice(10));
    else throw new Error(`unknown flag ${x} (use --quick, --stored=N, --changes=N)`);
  }
  return a;
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] as number;
const routerOps = (name: string, host: string) => [
  {
    KV: {
      Verb: 'set',
      Key: `wharf/http/routers/${name}/rule`,
      Value: Buffer.from(`Host(\`${host}\`)`).toString('base64'),
    },
  },
  {
    KV: {
      Verb: 'set',
      Key: `wharf/http/routers/${name}/service`,
      Value: Buffer.from('svc').toString('base64'),
    },
  },
];

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  mkdirSync(TMP, { recursive: true });
  const consul = await startConsulTestServer();
  const backend = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  const txn = async (ops: unknown[]) => {
    const r = await request(`${consul.url}/v1/txn`, { method: 'PUT', body: JSON.stringify(ops) });
    const text = await r.body.text();
    if (r.statusCode !== 200) throw new Error(`txn ${r.statusCode}: ${text}`);
  };
  const [web, api] = [await freePort(), await freePort()];
  const file = join(TMP, 'wharf.yml');
  writeFileSync(
    file,
    `entryPoints:\n  web: { address: "127.0.0.1:${web}" }\n  wharf: { address: "127.0.0.1:${api}" }\nproviders:\n  consul: { endpoints: ["${consul.url}"] }\napi: { insecure: true }\nping: {}\nlog: { level: ERROR }\n`,
  );
  let wharf: ReturnType<typeof start> | undefined;
  try {
    await txn([
      {
        KV: {
          Verb: 'set',
          Key: 'wharf/http/services/svc/loadbalancer/servers/0/url',
          Value: Buffer.from(backendUrl).toString('base64'),
        },
      },
    ]);
    for (let i = 0; i < args.stored; i += 64) {
      const ops = [];
      for (let j = i; j < Math.min(i + 64, args.stored); j++)
        ops.push(...routerOps(`stored${j}`, `stored${j}.bench.consul`));
      await txn(ops);
    }
    wharf = start(
      'wharf',
      process.execPath,
      [...NODE_FLAGS, join(ROOT, 'bin', 'wharf.js'), '--configFile', file],
      { logFile: join(TMP, 'wharf.log'), env: MALLOC_ENV },
    );
    const w = wharf;
    await pollUntil(
      'wharf /ping',
      async () => (await httpGet(api, 'x', '/ping')).status === 200,
      30_000,
      w,
      10,
    );
    await pollUntil(
      'the stored routers',
      async () => (await httpGet(web, `stored${args.stored - 1}.bench.consul`, '/')).status === 200,
      30_000,
      w,
      10,
    );
    process.stdout.write(
      `1. transaction to route, ${args.stored} routers stored, ${args.changes} changes, default throttle (100ms)\n`,
    );
    const lat: number[] = [];
    for (let i = 0; i < args.changes; i++) {
      const host = `chg${i}.bench.consul`;
      await txn(routerOps(`chg${i}`, host));
      const committed = performance.now();
      await pollUntil(
        `route ${host}`,
        async () => (await httpGet(web, host, '/', 1000)).status === 200,
        10_000,
        w,
        1,
      );
      lat.push(performance.now() - committed);
      await new Promise((r) => setTimeout(r, 150));
    }
    const f = (x: number) => `${Math.round(x)} ms`;
    process.stdout.write(
      `  p50 ${f(pct(lat, 50))}, p99 ${f(pct(lat, 99))}, min ${f(Math.min(...lat))}, max ${f(Math.max(...lat))} (target: p50 < 100 ms above the throttle)\n`,
    );
  } finally {
    if (wharf) await stop(wharf);
    await consul.close();
    backend.close();
  }
  const entries = [];
  for (let i = 0; i < args.decode; i++) {
    entries.push({
      key: `wharf/http/routers/r${i}/rule`,
      value: `Host(\`r${i}.example.com\`)`,
      modifyIndex: i + 1,
    });
    entries.push({ key: `wharf/http/routers/r${i}/service`, value: 'svc', modifyIndex: i + 1 });
    entries.push({ key: `wharf/http/routers/r${i}/entrypoints/0`, value: 'web', modifyIndex: i + 1 });
  }
  entries.push({
    key: 'wharf/http/services/svc/loadbalancer/servers/0/url',
    value: 'http://127.0.0.1:1',
    modifyIndex: 1,
  });
  const times: number[] = [];
  for (let i = 0; i < 11; i++) {
    const t0 = performance.now();
    const out = decodeKvEntries(entries, 'wharf', 'consul');
    times.push(performance.now() - t0);
    if (Object.keys(out.config.http?.routers ?? {}).length !== args.decode)
      throw new Error('decode lost routers');
  }
  process.stdout.write(
    `2. decode ${args.decode} routers (${entries.length} keys): ${Math.round(pct(times.slice(1), 50))} ms median of 10 (cold ${Math.round(times[0] as number)} ms; target < 200 ms)\n`,
  );
}

await main();
