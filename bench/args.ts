// Command-line flags of `npm run bench -- [flags]`.

/** Every proxy the harness knows, in the order they run. */
export const PROXIES = ['nginx', 'haproxy', 'caddy', 'caddy-merged', 'wharf'] as const;
/** A proxy's name. */
export type ProxyName = (typeof PROXIES)[number];

/** The executable a proxy runs (caddy-merged is Caddy with another Caddyfile; wharf runs on Node). */
export function commandOf(p: Exclude<ProxyName, 'wharf'>): 'nginx' | 'haproxy' | 'caddy' {
  return p === 'caddy-merged' ? 'caddy' : p;
}
/** Scenario ids. */
export const SCENARIO_IDS = ['A', 'B', 'C', 'D', 'E'] as const;
/** A scenario's id. */
export type ScenarioId = (typeof SCENARIO_IDS)[number];

/** What --wharf-metrics adds: metrics.prometheus with router metrics too (entryPoints and services are on by default). */
export const WHARF_METRICS_FLAG = '--metrics.prometheus.addRoutersLabels=true';

/** Parsed options of one benchmark run. */
export interface Options {
  readonly runs: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly connections: number;
  readonly only: readonly ProxyName[];
  readonly scenarios: readonly ScenarioId[];
  readonly install: boolean;
  readonly pin: boolean;
  /** Wait (up to 30 s) before each run until other processes use < 10% of the CPUs; repeat disturbed runs. */
  readonly waitQuiet: boolean;
  readonly quick: boolean;
  /** Use the Node upstream even when nginx is installed. */
  readonly nodeBackend: boolean;
  /** Wharf's entry script (default bin/wharf.js). */
  readonly wharfBin: string | undefined;
  /** Extra static-configuration flags for Wharf (--wharf-arg, --wharf-metrics). */
  readonly wharfArgs: readonly string[];
  /** Sample rates of extra Wharf runs with tracing on, each measured right after plain Wharf (empty: none). */
  readonly wharfTracing: readonly number[];
  readonly help: boolean;
}

/** The text of --help. */
export const USAGE = `Usage: npm run bench -- [flags]

  --quick              smoke run: 1 run x 2 s, 1 s warm-up
  --runs=N             measurements per proxy and scenario; the median is reported (default 3)
  --duration=S         seconds per wrk measurement (default 10)
  --warmup=S           seconds of discarded wrk load before measuring (default 2)
  --connections=N      wrk connections (default 50)
  --only=a,b           proxies to run: ${PROXIES.join(',')} (default all;
                       caddy-merged: scenario B only, one site block naming all 10,000 hosts)
  --scenarios=A,B,C,D  A: 1 router; B: 10,000 routers + stripPrefix + header; C: 1 router behind
                       CORS headers + IP allow list + basic auth (bcrypt), wharf and caddy only;
                       D: a 16 KB HTML page compressed with gzip, nginx, caddy and wharf only
                       (default all four)
  --no-pin             do not pin processes to CPUs (default: proxy on CPU 1, wrk + backend on CPU 0)
  --no-wait-quiet      take every run as it comes (default: wait <= 30 s for other processes to go
                       quiet before each run, and repeat disturbed runs, up to 3x --runs)
  --wharf-bin=PATH     Wharf's entry script, run as: node PATH --configFile FILE (default bin/wharf.js)
  --wharf-arg=FLAG     one more static-configuration flag for Wharf (repeatable), e.g.
                       --wharf-arg=--metrics.prometheus.addRoutersLabels=true
  --wharf-metrics      Prometheus metrics on, every level counted (entryPoint, router, service):
                       --wharf-arg=--metrics.prometheus.addRoutersLabels=true
  --wharf-tracing=R,.. also measure Wharf with tracing on at these sample rates (0..1, e.g. 0.1), right
                       after plain Wharf in each scenario, exporting OTLP/HTTP to a local sink that
                       accepts and discards it
  --node-backend       use the Node upstream (bench/node-backend.ts) even when nginx is installed
  --install            when root on Debian: apt-get install the missing peers and wrk
  --help               this text
`;

function positiveInt(flag: string, value: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new Error(`${flag} wants an integer from 1 to ${max}, got "${value}"`);
  return n;
}

function list<T extends string>(flag: string, value: string, known: readonly T[], upper: boolean): T[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => (upper ? s.toUpperCase() : s.toLowerCase()));
  for (const item of items) {
    if (!(known as readonly string[]).includes(item)) {
      throw new Error(`${flag}: unknown "${item}"; known: ${known.join(', ')}`);
    }
  }
  if (items.length === 0) throw new Error(`${flag} is empty`);
  return known.filter((k) => items.includes(k));
}

/** Parses argv (without node and script); throws with a readable message on a bad flag. */
export function parseArgs(argv: readonly string[]): Options {
  const quick = argv.includes('--quick');
  let runs = quick ? 1 : 3;
  let durationS = quick ? 2 : 10;
  let warmupS = quick ? 1 : 2;
  let connections = 50;
  let only: readonly ProxyName[] = PROXIES;
  let scenarios: readonly ScenarioId[] = SCENARIO_IDS;
  let install = false;
  let pin = true;
  let waitQuiet = true;
  let help = false;
  let nodeBackend = false;
  let wharfBin: string | undefined;
  const wharfArgs: string[] = [];
  let wharfTracing: number[] = [];
  for (const arg of argv) {
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const value = eq === -1 ? '' : arg.slice(eq + 1);
    switch (flag) {
      case '--quick':
        break;
      case '--runs':
        runs = positiveInt(flag, value, 50);
        break;
      case '--duration':
        durationS = positiveInt(flag, value, 600);
        break;
      case '--warmup':
        warmupS = value === '0' ? 0 : positiveInt(flag, value, 60);
        break;
      case '--connections':
        connections = positiveInt(flag, value, 10_000);
        break;
      case '--only':
        only = list(flag, value, PROXIES, false);
        break;
      case '--scenarios':
      case '--scenario':
        scenarios = list(flag, value, SCENARIO_IDS, true);
        break;
      case '--wharf-bin':
        if (value === '') throw new Error('--wharf-bin wants a path');
        wharfBin = value;
        break;
      case '--wharf-arg':
        if (!value.startsWith('--')) throw new Error('--wharf-arg wants a flag, e.g. --wharf-arg=--a.b=c');
        wharfArgs.push(value);
        break;
      case '--wharf-metrics':
        wharfArgs.push(WHARF_METRICS_FLAG);
        break;
      case '--wharf-tracing':
        wharfTracing = value.split(',').map((r) => {
          const n = Number(r);
          if (r.trim() === '' || !(n >= 0 && n <= 1))
            throw new Error(`--wharf-tracing wants sample rates from 0 to 1, got "${value}"`);
          return n;
        });
        break;
      case '--node-backend':
        nodeBackend = true;
        break;
      case '--install':
        install = true;
        break;
      case '--no-pin':
        pin = false;
        break;
      case '--no-wait-quiet':
        waitQuiet = false;
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      default:
        throw new Error(`unknown flag "${arg}"\n\n${USAGE}`);
    }
  }
  return {
    runs,
    durationS,
    warmupS,
    connections,
    only,
    scenarios,
    install,
    pin,
    waitQuiet,
    quick,
    help,
    wharfBin,
    wharfArgs,
    wharfTracing,
    nodeBackend,
  };
}
