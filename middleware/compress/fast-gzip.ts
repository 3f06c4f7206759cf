import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// Whole-buffer gzip through libdeflate (native/fast-gzip.c, built by native/build.js when Debian's
// libdeflate-dev and a C compiler are present). Without it the compress middleware uses Node's zlib.

/**
 * libdeflate's level for the one-call path. Level 1: on bench/html-page.ts it makes 4,757 bytes, 0.5% more
 * than Caddy's and Traefik's default (klauspost/compress gzip level 5: 4,734) and 2% more than zlib level
 * 5 (4,659), in about half the CPU time of libdeflate level 2 (4,697 bytes) and a third of zlib level 5's.
 * Chosen for issue 15's throughput target against Caddy, which level 2 missed (bench/README.md, scenario D).
 */
export const FAST_GZIP_LEVEL = 1;

/** Where native/build.js puts the addon. */
export const FAST_GZIP_PATH = fileURLToPath(new URL('../../native/build/fast-gzip.node', import.meta.url));

interface Addon {
  gzip(input: Uint8Array, level: number): Buffer;
}

/** The gzip engine of the one-call path, and why it is not libdeflate when it is not. */
export interface GzipEngine {
  readonly name: 'libdeflate' | 'zlib';
  /** Compresses a whole body; undefined for zlib (the caller uses zlib.gzipSync). */
  readonly gzip: ((body: Buffer) => Buffer) | undefined;
  readonly reason?: string;
}

let engine: GzipEngine | undefined;

/**
 * The engine, loaded once per process on first use: libdeflate when the addon is built and loads, else
 * Node's zlib with the reason (shown once in the log by the middleware).
 */
export function gzipEngine(path: string = FAST_GZIP_PATH): GzipEngine {
  if (engine !== undefined && path === FAST_GZIP_PATH) return engine;
  let found: GzipEngine;
  if (!existsSync(path)) {
    found = {
      name: 'zlib',
      gzip: undefined,
      reason:
        'the libdeflate addon is not built (apt-get install -y libdeflate-dev gcc, then npm run build:native)',
    };
  } else {
    try {
      const addon = createRequire(import.meta.url)(path) as Addon;
      found = { name: 'libdeflate', gzip: (body) => addon.gzip(body, FAST_GZIP_LEVEL) };
    } catch (err) {
      found = {
        name: 'zlib',
        gzip: undefined,
        reason: `the libdeflate addon ${path} does not load (${(err as Error).message}); rebuild it with npm run build:native`,
      };
    }
  }
  if (path === FAST_GZIP_PATH) engine = found;
  return found;
}
