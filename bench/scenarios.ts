import type { ScenarioId } from './args.ts';

/**
 * One benchmark scenario: how many Host routes the proxy holds, which one the load targets, and what
 * the backend must echo back for a correctly routed request (the backend answers
 * "xb=<X-Bench header> uri=<path>").
 */
export interface Scenario {
  readonly id: ScenarioId;
  readonly title: string;
  /** Number of Host routes in the configuration. */
  readonly routes: number;
  /** Host of route i. */
  readonly hostOf: (i: number) => string;
  /** Host and path every load request uses. */
  readonly host: string;
  readonly path: string;
  /** Whether each route strips the /api prefix and adds X-Bench: 1. */
  readonly middlewares: boolean;
  /** Path prefix the route strips (with middlewares). */
  readonly stripPrefix: string;
  /** Body the backend returns for a correctly routed request. */
  readonly expectBody: string;
}

/** Scenario A: one router, no middleware. */
export const SCENARIO_A: Scenario = {
  id: 'A',
  title: '1 router',
  routes: 1,
  hostOf: () => 'bench.localhost',
  host: 'bench.localhost',
  path: '/',
  middlewares: false,
  stripPrefix: '',
  expectBody: 'xb= uri=/\n',
};

/** Scenario B: 10,000 Host routers, each with stripPrefix(/api) and a request header. */
export const SCENARIO_B: Scenario = {
  id: 'B',
  title: '10k routers',
  routes: 10_000,
  hostOf: (i) => `h${i}.bench.localhost`,
  host: 'h5000.bench.localhost',
  path: '/api/x',
  middlewares: true,
  stripPrefix: '/api',
  expectBody: 'xb=1 uri=/x\n',
};

/** Scenarios by id. */
export const SCENARIOS: Record<ScenarioId, Scenario> = { A: SCENARIO_A, B: SCENARIO_B };

/** A host that no route matches; the proxy must not send it to the backend. */
export const UNKNOWN_HOST = 'nowhere.bench.invalid';
