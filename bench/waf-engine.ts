import {
  engineThreads,
  type ModSecurityAddon,
  modsecurityEngine,
  type RulesHandle,
} from '../middleware/waf/engine.ts';
import { leaseRules } from '../middleware/waf/rules-cache.ts';

// `npm exec -- node bench/waf-engine.ts` (Node 24): what one ModSecurity evaluation costs in the addon (native/modsecurity.c) with
// Debian's CRS at paranoia level 1 (`waf: {crs: {}}`), for issue 17's two requests: a benign GET with 10
// query arguments and a 2 KB JSON POST. Three ways, in one process:
// - sync: processRequestSync + finish, one after the other on the main thread (the engine's CPU cost);
// - async×1: processRequest + finish on the addon's engine threads, one request at a time (adds two thread hops);
// - async×N: N requests in flight (N = the engine threads, engineThreads()), throughput over them.
// Medians of ROUNDS rounds, µs per request: wall time, and CPU time of the whole process (main thread and
// engine threads, process.cpuUsage), which is what to read on a shared, loaded machine. The full router comparison with nginx+ModSecurity is bench/'s
// waf benchmark (the reference harness); this isolates the engine.

const ROUNDS = 7;
const N = Number(process.env.WAF_BENCH_N ?? 300);
const CONCURRENCY = engineThreads();

const HEADERS = [
  'Host',
  'shop.example.com',
  'User-Agent',
  'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0',
  'Accept',
  'text/html,application/xhtml+xml',
  'Accept-Language',
  'en-US,en;q=0.5',
  'Cookie',
  'session=3f9a1c2b7d4e5f60718293a4b5c6d7e8; theme=dark',
];
const GET_URI = `/search?${Array.from({ length: 10 }, (_, i) => `arg${i}=value${i}`).join('&')}`;
const JSON_BODY = Buffer.from(
  JSON.stringify({
    order: { id: 48213, customer: { name: 'Alice Martin', email: 'alice@example.com' } },
    items: Array.from({ length: 38 }, (_, i) => ({
      sku: `SKU-${1000 + i}`,
      qty: (i % 3) + 1,
      note: 'gift wrap please',
    })),
  }),
);
const JSON_HEADERS = [
  ...HEADERS,
  'Content-Type',
  'application/json',
  'Content-Length',
  String(JSON_BODY.length),
];

interface Case {
  readonly name: string;
  readonly method: string;
  readonly uri: string;
  readonly headers: string[];
  readonly body: Buffer | null;
}
const CASES: Case[] = [
  { name: 'GET, 10 query args', method: 'GET', uri: GET_URI, headers: HEADERS, body: null },
  {
    name: `POST, ${JSON_BODY.length} B JSON`,
    method: 'POST',
    uri: '/api/orders',
    headers: JSON_HEADERS,
    body: JSON_BODY,
  },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function once(addon: ModSecurityAddon, rules: RulesHandle, c: Case, sync: boolean): Promise<void> {
  const tx = addon.newTransaction(rules, 'bench');
  const args = [tx, '127.0.0.1', 40000, '127.0.0.1', 80, c.method, c.uri, '1.1', c.headers, c.body] as const;
  const r = sync ? addon.processRequestSync(...args) : await addon.processRequest(...args);
  if (r.disruptive || r.messages.length > 0)
    throw new Error(`the benign request matched: ${r.messages.join('\n')}`);
  await addon.finish(tx);
}

async function round(
  addon: ModSecurityAddon,
  rules: RulesHandle,
  c: Case,
  mode: 'sync' | 'async1' | 'asyncN',
) {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  if (mode === 'asyncN') {
    let next = 0;
    const worker = async () => {
      while (next < N) {
        next++;
        await once(addon, rules, c, false);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  } else for (let i = 0; i < N; i++) await once(addon, rules, c, mode === 'sync');
  const used = process.cpuUsage(cpu);
  return { wall: Number(process.hrtime.bigint() - start) / 1000 / N, cpu: (used.user + used.system) / N };
}

const loaded = modsecurityEngine();
if (!('addon' in loaded)) {
  console.error(loaded.reason);
  process.exit(1);
}
const compileStart = process.hrtime.bigint();
const lease = leaseRules(loaded.addon, { crs: {} });
console.log(
  `CRS compile (waf: {crs: {}}): ${(Number(process.hrtime.bigint() - compileStart) / 1e6).toFixed(0)} ms`,
);
console.log(
  `N=${N} per round, ${ROUNDS} rounds, ${CONCURRENCY} in flight (engine threads); µs per request (median)`,
);
for (const c of CASES) {
  const results: Record<string, { wall: number; cpu: number }[]> = { sync: [], async1: [], asyncN: [] };
  await round(loaded.addon, lease.rules, c, 'sync');
  for (let r = 0; r < ROUNDS; r++)
    for (const mode of ['sync', 'async1', 'asyncN'] as const)
      results[mode]?.push(await round(loaded.addon, lease.rules, c, mode));
  const line = Object.entries(results)
    .map(([mode, xs]) => {
      const wall = median(xs.map((x) => x.wall));
      const cpu = median(xs.map((x) => x.cpu));
      return `${mode} ${wall.toFixed(0)} µs wall / ${cpu.toFixed(0)} µs CPU`;
    })
    .join(', ');
  console.log(`${c.name}: ${line}`);
}
lease.release();
