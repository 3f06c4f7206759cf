// Builds Wharf's native addons (today one: native/fast-gzip.c over Debian's libdeflate) into native/build/.
//
//   node native/build.js            build; a missing compiler, header or library is reported and the
//                                   build skipped with exit 0 (Wharf then uses Node's zlib)
//   node native/build.js --require  the same, but anything missing is an error (exit 1)
//
// Plain JavaScript: it runs as npm's postinstall on whatever Node npm found, before Wharf's Node 24 can be
// trusted. Run by `npm ci`/`npm install` (package.json "postinstall") and by `npm run build:native`.
// No network:
// Node-API's headers come with the Node that runs this (its include/node, as in Node's release tarballs
// and the npm `node` package), or from /usr/include/node; the addon uses Node-API only, so one build
// serves every Node version that loads it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const required = process.argv.includes('--require');

function headersDir() {
  const candidates = [
    join(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/local/include/node',
    '/usr/include/node',
  ];
  return candidates.find((d) => existsSync(join(d, 'node_api.h')));
}

function give(reason) {
  process.stderr.write(`wharf native build: skipped: ${reason}\n`);
  process.exit(required ? 1 : 0);
}

const cc = process.env.CC ?? 'cc';
if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).status !== 0)
  give(`no C compiler (${cc}); apt-get install -y gcc libdeflate-dev, then npm run build:native`);
const include = headersDir();
if (include === undefined)
  give('Node-API headers (node_api.h) not found next to this Node or in /usr/include/node');
if (!existsSync('/usr/include/libdeflate.h') && !existsSync('/usr/local/include/libdeflate.h'))
  give('libdeflate.h not found; apt-get install -y libdeflate-dev, then npm run build:native');

const out = join(here, 'build');
mkdirSync(out, { recursive: true });
const target = join(out, 'fast-gzip.node');
const tmp = `${target}.${process.pid}.tmp`;
const args = ['-O2', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', '-I', include];
args.push(join(here, 'fast-gzip.c'), '-ldeflate', '-o', tmp);
const r = spawnSync(cc, args, { stdio: ['ignore', 'inherit', 'inherit'] });
if (r.status !== 0) give(`${cc} failed (exit ${r.status ?? r.signal}) building native/fast-gzip.c`);
// Renamed into place, so a running Wharf never loads a half-written file.
renameSync(tmp, target);
process.stdout.write(`wharf native build: ${target} (libdeflate gzip)\n`);
