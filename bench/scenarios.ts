import { PROXIES, type ProxyName, type ScenarioId } from './args.ts';
import { benchPage, PAGE_PATH } from './html-page.ts';

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
  /** Body the backend returns for a correctly routed request (after gunzip with `gzip`). */
  readonly expectBody: string;
  /**
   * Scenario D: the route compresses with gzip (level 5 where the proxy lets one choose), the answer must
   * carry `Content-Encoding: gzip` and its body gunzip to expectBody.
   */
  readonly gzip?: boolean;
  /**
   * Scenario E: the route has a rateLimit middleware (in memory) whose limit the load never reaches, so
   * what is measured is the cost of keeping the per-source token bucket. Compared with scenario A.
   */
  readonly rateLimit?: { readonly average: number; readonly burst: number };
  /**
   * `npm run bench:ban`: the route has a ban middleware (memory store, the default without Consul) that the
   * load never sets off (the backend answers 200), so what is measured is ban's cost on every request.
   */
  readonly ban?: Readonly<Record<string, unknown>>;
  /** Headers every load and check request carries (credentials, Origin); none by default. */
  readonly requestHeaders?: Readonly<Record<string, string>>;
  /** Response headers (lower-case names) the routed answer must carry, and a text each value must contain. */
  readonly expectHeaders?: Readonly<Record<string, string>>;
  /** More requests the routing check makes, each with the answer it must get. */
  readonly checks?: readonly ExtraCheck[];
  /** Scenario C's access-control chain. */
  readonly guard?: Guard;
  /** The proxies configured for this scenario (default: all; caddy-merged only with more than one route). */
  readonly proxies?: readonly ProxyName[];
}

/** A request the routing check makes besides the routed one, and the answer it must get. */
export interface ExtraCheck {
  readonly what: string;
  readonly host: string;
  readonly method?: 'GET' | 'OPTIONS';
  readonly headers: Readonly<Record<string, string>>;
  readonly status: number;
  /** Response headers (lower-case names) and a text each value must contain. */
  readonly expectHeaders?: Readonly<Record<string, string>>;
}

/**
 * Scenario C's middlewares, in the order they run: CORS headers (a preflight is answered here, before
 * authentication, as browsers send it without credentials), the IP allow list, then basic auth.
 */
export interface Guard {
  readonly user: string;
  readonly password: string;
  /** The htpasswd line, `user:$2y$10$...` (bcrypt, cost 10). */
  readonly htpasswd: string;
  readonly realm: string;
  /** The allow list of the measured route. */
  readonly sourceRange: string;
  /** A second route, same chain, whose allow list leaves out 127.0.0.1: it must answer 403. */
  readonly deniedHost: string;
  readonly deniedRange: string;
  /** The one allowed Origin, and what a preflight may ask for. */
  readonly origin: string;
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly maxAgeS: number;
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

// Made with `htpasswd -nbB -C 10 bench bench-secret` (htpasswd -B alone uses cost 5). A benchmark
// credential, not a secret.
const GUARD: Guard = {
  user: 'bench',
  password: 'bench-secret',
  htpasswd: 'bench:$2y$10$nFjtvlN.7.ZBC9cw1JUuf.1EEWnuWetj8x61GHna7YwqnbWSve36W',
  realm: 'bench',
  sourceRange: '127.0.0.0/8',
  deniedHost: 'denied.bench.localhost',
  deniedRange: '192.0.2.0/24',
  origin: 'http://app.bench.localhost',
  allowMethods: ['GET', 'POST', 'OPTIONS'],
  allowHeaders: ['Authorization'],
  maxAgeS: 600,
};

/** `Basic <base64(user:password)>`. */
export const basicCredentials = (g: Guard, password = g.password): string =>
  `Basic ${Buffer.from(`${g.user}:${password}`).toString('base64')}`;

/**
 * Scenario C: one router behind CORS headers, an IP allow list and basic auth (bcrypt). Every request
 * carries valid credentials and an Origin, so after the first one a proxy's cache of verified credentials
 * answers (Wharf's and Caddy's both keep one). Compared with Caddy only.
 */
export const SCENARIO_C: Scenario = {
  id: 'C',
  title: 'auth+allow+CORS',
  routes: 1,
  hostOf: () => 'bench.localhost',
  host: 'bench.localhost',
  path: '/',
  middlewares: false,
  stripPrefix: '',
  expectBody: 'xb= uri=/\n',
  requestHeaders: { Authorization: basicCredentials(GUARD), Origin: GUARD.origin },
  expectHeaders: { 'access-control-allow-origin': GUARD.origin, vary: 'Origin' },
  guard: GUARD,
  proxies: ['caddy', 'wharf'],
  checks: [
    {
      what: 'no credentials',
      host: 'bench.localhost',
      headers: { Origin: GUARD.origin },
      status: 401,
      expectHeaders: { 'www-authenticate': `Basic realm="${GUARD.realm}"` },
    },
    {
      what: 'a wrong password',
      host: 'bench.localhost',
      headers: { Authorization: basicCredentials(GUARD, 'wrong'), Origin: GUARD.origin },
      status: 401,
    },
    {
      what: 'a client outside the allow list',
      host: GUARD.deniedHost,
      headers: { Authorization: basicCredentials(GUARD), Origin: GUARD.origin },
      status: 403,
    },
    {
      what: 'a CORS preflight',
      host: 'bench.localhost',
      method: 'OPTIONS',
      headers: { Origin: GUARD.origin, 'Access-Control-Request-Method': 'GET' },
      status: 200,
      expectHeaders: {
        'access-control-allow-origin': GUARD.origin,
        'access-control-allow-methods': 'GET',
        'access-control-max-age': String(GUARD.maxAgeS),
      },
    },
  ],
};

/**
 * Scenario D: one router to a 16 KB HTML page (bench/html-page.ts) that the proxy compresses with gzip
 * for clients sending `Accept-Encoding: gzip`. Wharf's compress middleware, Caddy's `encode gzip`, nginx's
 * `gzip on`; HAProxy is left out (the issue compares with Caddy and nginx).
 */
export const SCENARIO_D: Scenario = {
  id: 'D',
  title: '16 KB HTML gzip',
  routes: 1,
  hostOf: () => 'bench.localhost',
  host: 'bench.localhost',
  path: PAGE_PATH,
  middlewares: false,
  stripPrefix: '',
  expectBody: benchPage(),
  gzip: true,
  requestHeaders: { 'Accept-Encoding': 'gzip' },
  expectHeaders: { 'content-encoding': 'gzip', vary: 'Accept-Encoding' },
  proxies: ['nginx', 'caddy', 'wharf'],
};

/**
 * Scenario E: scenario A's route behind a rateLimit (in memory, per client IP) far above what one core
 * can serve, so nothing is refused: the measured difference from A is what the limiter costs per request
 * (the issue's target: at most 5% of A's req/s). Wharf only; the ratio is against Wharf's own scenario A
 * in the same run.
 */
export const SCENARIO_E: Scenario = {
  ...SCENARIO_A,
  id: 'E',
  title: '1 router + rateLimit',
  rateLimit: { average: 10_000_000, burst: 10_000_000 },
  proxies: ['wharf'],
};

/** Scenario A's route behind a ban that never bans (bench/tracing.ts --ban; not a scenario of `npm run bench`). */
export const SCENARIO_A_BAN: Scenario = {
  ...SCENARIO_A,
  title: '1 router + ban',
  ban: { maxRetry: 5, findTime: '10m', banTime: '10m', statusCodes: ['401', '403', '429'] },
  proxies: ['wharf'],
};

/** Scenarios by id. */
export const SCENARIOS: Record<ScenarioId, Scenario> = {
  A: SCENARIO_A,
  B: SCENARIO_B,
  C: SCENARIO_C,
  D: SCENARIO_D,
  E: SCENARIO_E,
};

/** The proxies a scenario is configured for (caddy-merged differs from caddy only with many routes). */
export function scenarioProxies(s: Scenario): readonly ProxyName[] {
  return s.proxies ?? PROXIES.filter((p) => p !== 'caddy-merged' || s.routes > 1);
}

/** A host that no route matches; the proxy must not send it to the backend. */
export const UNKNOWN_HOST = 'nowhere.bench.invalid';
