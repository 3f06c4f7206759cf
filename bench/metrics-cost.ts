import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestState } from '../middleware/request-state.ts';
import type { RoutingTable } from '../router/compile/compile.ts';
import { RequestMetrics } from '../router/metrics/request-metrics.ts';

// `npm run bench:metrics`: what counting one request costs, in nanoseconds of CPU on this machine: the
// call the entryPoint makes when a response is done (RequestMetrics.record), with every level on
// (entryPoint, router, service), Traefik's default buckets, a few status codes. Compare with the time a
// request takes end to end (1e9 / req/s of `npm run bench -- --only=wharf --scenarios=A`).

const N = Number(process.argv[2] ?? 2_000_000);

function setup(headerLabels: boolean) {
  const m = new RequestMetrics({
    entryPoints: true,
    routers: true,
    services: true,
    internals: false,
    bounds: [0.1, 0.3, 1.2, 5],
    ...(headerLabels ? { headerLabels: { names: ['useragent'], headers: ['user-agent'] } } : {}),
  });
  const table = {
    info: {
      routers: new Map([['r@file', { name: 'r@file', provider: 'file', service: 'svc' }]]),
      services: new Map([['svc@file', {}]]),
      middlewares: new Map(),
    },
  } as unknown as RoutingTable;
  m.onTable(table, ['web']);
  const req = {
    method: 'GET',
    headers: { host: 'bench.localhost', 'user-agent': 'wrk', accept: '*/*' },
    socket: {},
  } as unknown as IncomingMessage;
  const responses = [200, 200, 200, 404, 503].map(
    (statusCode) => ({ headersSent: true, statusCode, getHeader: () => '13' }) as unknown as ServerResponse,
  );
  const state: RequestState = {
    entryPoint: 'web',
    scheme: 'http',
    clientIp: '127.0.0.1',
    start: process.hrtime.bigint(),
    originalUrl: '/',
    router: 'r@file',
    service: 'svc@file',
    responseBytes: 13,
  };
  return { m, req, responses, state };
}

function run(label: string, headerLabels: boolean): number {
  const { m, req, responses, state } = setup(headerLabels);
  // Warm up (JIT), then measure.
  for (let i = 0; i < 200_000; i++) m.record(req, responses[i % 5] as ServerResponse, state);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) m.record(req, responses[i % 5] as ServerResponse, state);
  const ns = Number(process.hrtime.bigint() - t0) / N;
  process.stdout.write(`${label}: ${ns.toFixed(0)} ns per request (${N.toLocaleString('en')} requests)\n`);
  return ns;
}

const results: number[] = [];
for (let round = 0; round < 3; round++) results.push(run('every level', false));
const sorted = [...results].sort((a, b) => a - b);
process.stdout.write(`median: ${sorted[1]?.toFixed(0)} ns per request\n`);
run('every level + one header label', true);
