// Builds Wharf's native addons into native/build/, each on its own (a missing library skips that addon only):
//   fast-gzip.node   native/fast-gzip.c over Debian's libdeflate (the compress middleware; else Node's zlib)
//   modsecurity.node native/modsecurity.c over Debian's libmodsecurity3 (the waf middleware; else unavailable)
//
//   node native/build.js            build; a missing compiler, header or library is reported and that addon
//                                   skipped, exit 0 (npm ci never fails on it)
//   node native/build.js --require  the same, but anything missing is an error (exit 1)
//   node native/build.js --only=modsecurity   build one addon (fast-gzip or modsecurity)
//
// Plain JavaScript: it runs as npm's postinstall on whatever Node npm found, before Wharf's Node 24 can be
// trusted. Run by `npm ci`/`npm install` (package.json "postinstall") and by `npm run build:native`.
// A plain cc call, not node-gyp (DESIGN.md §6): no network (node-gyp downloads Node's headers), nothing to
// install. Node-API's headers come with the Node that runs this (its include/node, as in Node's release
// tarballs and the npm `node` package), or from /usr/include/node; the addons use Node-API only, so one
// build serves every Node version that loads it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const required = process.argv.includes('--require');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);

const ADDONS = [
  {
    name: 'fast-gzip',
    what: 'libdeflate gzip',
    header: 'libdeflate.h',
    libs: ['-ldeflate'],
    install: 'apt-get install -y libdeflate-dev gcc',
  },
  {
    name: 'modsecurity',
    what: 'libmodsecurity3, the waf middleware',
    header: 'modsecurity/modsecurity.h',
    libs: ['-lmodsecurity'],
    install: 'apt-get install -y libmodsecurity-dev modsecurity-crs gcc',
  },
];

function headersDir() {
  const candidates = [
    join(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/local/include/node',
    '/usr/include/node',
  ];
  return candidates.find((d) => existsSync(join(d, 'node_api.h')));
}

let failed = false;
function skip(reason) {
  process.stderr.write(`wharf native build: skipped: ${reason}\n`);
  failed = true;
}

// Where the libraries' headers are looked for; WHARF_NATIVE_INCLUDE_DIRS (colon-separated) replaces the
// list, so a test can show that one missing library skips only its own addon.
const INCLUDE_DIRS = (process.env.WHARF_NATIVE_INCLUDE_DIRS ?? '/usr/include:/usr/local/include').split(':');

function build(addon, cc, include) {
  if (!INCLUDE_DIRS.some((d) => existsSync(join(d, addon.header))))
    return skip(`${addon.name}: ${addon.header} not found; ${addon.install}, then npm run build:native`);
  const out = join(here, 'build');
  mkdirSync(out, { recursive: true });
  const target = join(out, `${addon.name}.node`);
  const tmp = `${target}.${process.pid}.tmp`;
  const args = ['-O2', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', '-I', include];
  args.push(join(here, `${addon.name}.c`), ...addon.libs, '-o', tmp);
  const r = spawnSync(cc, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0)
    return skip(`${cc} failed (exit ${r.status ?? r.signal}) building native/${addon.name}.c`);
  // Renamed into place, so a running Wharf never loads a half-written file.
  renameSync(tmp, target);
  process.stdout.write(`wharf native build: ${target} (${addon.what})\n`);
}

const cc = process.env.CC ?? 'cc';
const include = headersDir();
if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).status !== 0)
  skip(`no C compiler (${cc}); apt-get install -y gcc, then npm run build:native`);
else if (include === undefined)
  skip('Node-API headers (node_api.h) not found next to this Node or in /usr/include/node');
else for (const addon of ADDONS) if (only === undefined || only === addon.name) build(addon, cc, include);
process.exit(failed && required ? 1 : 0);
