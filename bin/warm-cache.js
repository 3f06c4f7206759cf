// Fills Node's compile cache (see bin/launch.js) with every TypeScript module Wharf's two programs can
// load, so that even their first start skips TypeScript stripping. compose/Dockerfile runs it at build
// time and the benchmarks before measuring. Run it with the same V8 flags and as the same user as the
// programs: Node keys the cache directory by both.
import module from 'node:module';

const cache = module.enableCompileCache?.();
// Both entry modules run their CLI when imported; `--version` only prints the version.
process.argv.splice(2, process.argv.length, '--version');
await import('../router/main.ts');
await import('../registrar/main.ts');
// Loaded on demand (certificatesResolvers), so not by the lines above.
await import('../router/acme/acme.ts');
module.flushCompileCache?.();
process.stderr.write(`compile cache: ${cache?.directory ?? 'not available'}\n`);
