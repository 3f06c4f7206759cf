// Shared start-up of Wharf's programs (bin/wharf.js, bin/wharf-registrar.js). Plain JavaScript: it runs
// before Node can be trusted to strip types.
import module from 'node:module';

/**
 * Checks the Node version, turns on Node's on-disk compile cache and imports the program's TypeScript
 * entry module (a path relative to this file).
 *
 * The compile cache (os.tmpdir()/node-compile-cache unless NODE_COMPILE_CACHE names another directory;
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off) keeps each module's type-stripped source and V8 code cache,
 * keyed by content. From the second start on, Node then never loads its TypeScript stripper (a WebAssembly
 * build of swc), which measured 24 MiB less resident memory and faster start-up (bench/README.md).
 * A directory that cannot be written only means no cache.
 */
export async function launch(program, entry) {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 19)) {
    process.stderr.write(
      `${program}: Node ${process.versions.node} is too old; Wharf needs Node >= 22.19 (24 LTS recommended).\n` +
        '  From a clone, `npm start` and `npm test` use the Node 24 that `npm ci` installs.\n',
    );
    process.exit(1);
  }
  module.enableCompileCache?.();
  await import(new URL(entry, import.meta.url).href);
}
