/**
 * How Wharf's processes are meant to run: these V8 flags and glibc malloc settings. bin/launch.js (both
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
