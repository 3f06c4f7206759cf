import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { isSecretName, REDACTED } from '../../core/redact.ts';

// api.debug: Traefik serves Go's expvar (/debug/vars) and pprof (/debug/pprof/...). Wharf is a Node.js
// program: /debug/vars gives the same kind of figures (command line, memory, CPU, event loop) as JSON,
// and the pprof paths answer 501 with what to use instead (Node's own profilers).

/** The process's command line with the values of credential flags (`--providers.consul.token=...`) hidden. */
export function redactedArgv(argv: readonly string[]): string[] {
  return argv.map((arg) => {
    const m = /^(--?[^=]+)=(.*)$/s.exec(arg);
    if (!m) return arg;
    const key = (m[1] as string).split('.').pop() ?? '';
    return isSecretName(key) ? `${m[1]}=${REDACTED}` : arg;
  });
}

/** The /debug/vars document: expvar's `cmdline` and `memstats` keys, with Node's figures. */
function vars() {
  return {
    cmdline: redactedArgv(process.argv),
    memstats: process.memoryUsage(),
    resourceUsage: process.resourceUsage(),
    uptimeSeconds: process.uptime(),
    // Share of time the event loop was busy since the start (no sampling timer needed).
    eventLoopUtilization: performance.eventLoopUtilization().utilization,
  };
}

/** Serves `/debug/...` (the path below basePath); returns false for a path it does not own. */
export function serveDebug(path: string, _req: IncomingMessage, res: ServerResponse): boolean {
  if (path === '/debug/vars') {
    const text = JSON.stringify(vars());
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
    return true;
  }
  if (path === '/debug/pprof' || path.startsWith('/debug/pprof/')) {
    const text = JSON.stringify({
      message:
        "pprof is Go's profiler and Wharf runs on Node.js: start Wharf with node --cpu-prof or --heap-prof, or attach a debugger with --inspect",
    });
    res.writeHead(501, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return true;
  }
  return false;
}
