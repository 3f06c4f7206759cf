// `--wharf-bin=bench/cpu-prof-wharf.js`: runs bin/wharf.js under `node --cpu-prof`, same PID (execve), so
// the harness's CPU accounting and its SIGTERM still reach Wharf, which writes its profile as it exits.
// Profiles go to $BENCH_CPU_PROF_DIR (default bench/.tmp/cpu-prof/), one per Wharf the run starts;
// `node bench/profile-share.ts <file>` reads one. (Not WHARF_*: Wharf reads those as configuration.)
const dir = process.env.BENCH_CPU_PROF_DIR ?? new URL('./.tmp/cpu-prof', import.meta.url).pathname;
const bin = new URL('../bin/wharf.js', import.meta.url).pathname;
process.execve(
  process.execPath,
  [
    process.execPath,
    ...process.execArgv,
    '--cpu-prof',
    `--cpu-prof-dir=${dir}`,
    bin,
    ...process.argv.slice(2),
  ],
  process.env,
);
