#!/usr/bin/env node
// Fills Node's compile cache (see bin/launch.js) with every TypeScript module Wharf's two programs can
// load, so that even their first start skips TypeScript stripping. compose/Dockerfile runs it at build
// time and the benchmarks before measuring. Node keys the cache by its version, the V8 flags, the CPU
// features V8 detects and the user id: run it as the programs' user (it adds Wharf's flags itself).
import module from 'node:module';
import { prepareProcess } from './launch.js';

await prepareProcess('warm-cache');
// Both entry modules run their CLI when imported; `--version` only prints the version.
process.argv.splice(2, process.argv.length, '--version');
await import('../cli/wharf-main.ts');
await import('../cli/registrar-main.ts');
// Loaded on demand (certificatesResolvers), so not by the lines above.
await import('../router/acme/acme.ts');
module.flushCompileCache?.();
process.stderr.write(`compile cache: ${module.getCompileCacheDir?.() ?? 'off'}\n`);
