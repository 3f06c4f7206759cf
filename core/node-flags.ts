/**
 * How Wharf's processes are meant to run: these V8 flags, glibc malloc settings and jemalloc when it is
 * installed (allocatorChoice, below). bin/launch.js (both
 * bins) re-executes Node with them when they are missing (flags given on the command line come after and
 * win; malloc variables already set are kept); compose/Dockerfile passes them in its ENV, ENTRYPOINTs and
 * HEALTHCHECKs, and the benchmarks start Wharf with them (test/integration/compose.test.ts checks that the
 * Dockerfile agrees with this file; test/integration/cli.test.ts that a bare `node bin/wharf.js` ends up
 * with them). `npm start` (the demo, in-process) passes the flags only.
 *
 * Measured with 10,000 routers under load (bench/README.md, "Memory"):
 * - `--max-semi-space-size=8`: a proxy allocates many short-lived objects, and V8's default young generation
 *   (up to 3 x 16-32 MiB semi-spaces) then grows to most of the process's memory: 242-432 MiB without it.
 * - `--initial-old-space-size=8`: V8 otherwise collects nothing in the old generation until it reaches a
 *   generous initial limit, so the garbage of parsing and compiling a large configuration stays resident.
 * - `--heap-growing-percent=20`: V8 then collects the old generation when it has grown 20% past what
 *   survived the last collection. With its default factor the garbage promoted under steady traffic
 *   piled up for over a minute without a full collection (RSS 159 MiB after 60 s, against 130 MiB with a
 *   full collection every ~14 s, at the same requests/s and p99).
 * - `--expose-gc`: lets router/reload/heap-trim.ts run one full collection once a new configuration is in place.
 * - The malloc settings: V8's compiler and GC threads each get a glibc arena that keeps its peak (four or
 *   five arenas of 2-12 MiB, 20-28 MiB in all under load); two arenas and a fixed trim/mmap threshold
 *   return most of it.
 */
export const NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=8',
  '--initial-old-space-size=8',
  '--heap-growing-percent=20',
  '--expose-gc',
];

/** glibc malloc settings (environment variables read at process start; other C libraries ignore them). */
export const MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_TRIM_THRESHOLD_: '131072',
  MALLOC_MMAP_THRESHOLD_: '131072',
};

/** jemalloc's library as Debian's libjemalloc2 installs it (the router image has it at /usr/lib). */
export const JEMALLOC_LIBRARY = 'libjemalloc.so.2';

/** Where bin/launch.js looks for it, in this order: Debian's multiarch folders, then the usual ones. */
export const LIBRARY_DIRS: readonly string[] = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/usr/local/lib',
];

/** What bin/launch.js does about the allocator: the library to preload (if any) and a line for stderr. */
export interface AllocatorChoice {
  readonly preload?: string;
  readonly warning?: string;
}

/**
 * The allocator Wharf's processes run on, from `WHARF_MALLOC`:
 * - unset, empty or `auto`: jemalloc when its library is installed, else glibc's malloc;
 * - `jemalloc`: the same, with a warning when the library is missing;
 * - `glibc`: glibc's malloc (MALLOC_ENV's settings apply).
 *
 * Why jemalloc: the waf middleware's engine (libmodsecurity) allocates and frees a great many small
 * strings per request; on glibc's malloc, malloc and free are about a quarter of its instructions
 * (callgrind: 15.2 million a benign GET on glibc, 11.7 million on jemalloc) and its CPU a request falls
 * 15-25% on jemalloc (bench/README.md, "waf"). The rest of Wharf measured the same or smaller resident
 * memory on it (scenarios A and B). `exists` is injected for tests.
 */
export function allocatorChoice(
  setting: string | undefined,
  exists: (path: string) => boolean,
): AllocatorChoice {
  const value = (setting ?? '').trim().toLowerCase();
  if (value === 'glibc') return {};
  if (value !== '' && value !== 'auto' && value !== 'jemalloc')
    return {
      warning: `WHARF_MALLOC=${setting} is not an allocator Wharf knows (auto, jemalloc or glibc); using glibc's malloc`,
    };
  const found = LIBRARY_DIRS.map((d) => `${d}/${JEMALLOC_LIBRARY}`).find((p) => exists(p));
  if (found !== undefined) return { preload: found };
  if (value === 'jemalloc')
    return {
      warning: `WHARF_MALLOC=jemalloc but ${JEMALLOC_LIBRARY} is not installed (apt-get install -y libjemalloc2); using glibc's malloc`,
    };
  return {};
}

/**
 * LD_PRELOAD with `library` first, or undefined when nothing is to change: it is there already, or the
 * user preloads an allocator of their own (any jemalloc, tcmalloc or mimalloc), which is kept.
 */
export function withPreload(current: string | undefined, library: string): string | undefined {
  const entries = (current ?? '').split(/[:\s]+/).filter((e) => e !== '');
  if (entries.some((e) => e === library || /(je|tc|mi)malloc[^/]*$/.test(e))) return undefined;
  return [library, ...entries].join(':');
}

/** The allocator this process runs on, for the start-up log line (`jemalloc` or `glibc`). */
export function activeAllocator(env: NodeJS.ProcessEnv = process.env): 'jemalloc' | 'glibc' {
  return (env.LD_PRELOAD ?? '').includes(JEMALLOC_LIBRARY) ? 'jemalloc' : 'glibc';
}
