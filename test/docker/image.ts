import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';

/**
 * The test image, built here without any registry: a rootfs tarball holding Debian's static busybox, its
 * applet symlinks, a tiny /www site and the `wharf-serve` start script, handed to `docker import`.
 *
 * `wharf-serve ADDR` serves /www with `busybox httpd -f -p ADDR -h /www`. Test containers run in HOST
 * network mode with ADDR = 127.0.0.1:PORT, so the backend listens on the machine's loopback only; in a
 * container network of its own it listens inside that container's namespace. Nothing in the image
 * contacts any address outside loopback or the test's own containers.
 */
export const TEST_IMAGE = 'wharf-test-busybox:latest';

/** Label on everything the Docker tests create; teardown removes what carries it. */
export const TEST_LABEL = 'wharf.test';
/** Label naming the vitest run that created a container or network (teardown removes its own run's). */
export const RUN_LABEL = 'wharf.test.run';

/** A run id: 8 random hex digits, a dash, the PID of the vitest main process (for stale checks). */
export function newRunId(): string {
  return `${randomBytes(4).toString('hex')}-${process.pid}`;
}

/** The vitest PID in a run id, or undefined. */
export function runOwnerPid(runId: string): number | undefined {
  const pid = Number(runId.split('-')[1]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Prefix of the Linux bridge names of a run's test networks (8 characters; names stay within 15). */
export function bridgePrefix(runId: string | undefined): string {
  return `wt${(runId ?? 'xxxxxx').slice(0, 6)}`;
}
const HASH_LABEL = 'wharf.test.image.hash';

const BUSYBOX = '/bin/busybox';

/** Applets linked into /bin (all present in Debian 12's busybox-static). */
const APPLETS = [
  'awk',
  'cat',
  'chmod',
  'cp',
  'date',
  'echo',
  'env',
  'false',
  'grep',
  'head',
  'hostname',
  'httpd',
  'id',
  'kill',
  'ls',
  'mkdir',
  'mv',
  'nc',
  'printf',
  'ps',
  'rm',
  'sed',
  'sh',
  'sleep',
  'sort',
  'tail',
  'test',
  'touch',
  'true',
  'wc',
  'wget',
];

/**
 * Start script. Writes the container's name (env WHARF_TEST_NAME) to /www/index.html and its environment as
 * JSON to /www/env.json, then serves /www on ADDR ($1). The shell stays PID 1 and exits on SIGTERM, so
 * `docker stop` is immediate.
 */
const SERVE_SCRIPT = String.raw`#!/bin/sh
addr="$1"
[ -n "$addr" ] || addr=127.0.0.1:8080
name="$WHARF_TEST_NAME"
[ -n "$name" ] || name=wharf-test
printf '%s' "$name" > /www/index.html
awk 'BEGIN {
  printf "{"; sep = ""
  for (k in ENVIRON) {
    v = ENVIRON[k]
    gsub(/\\/, "\\\\", v); gsub(/"/, "\\\"", v); gsub(/\n/, "\\n", v); gsub(/\r/, "\\r", v); gsub(/\t/, "\\t", v)
    printf "%s\"%s\":\"%s\"", sep, k, v; sep = ","
  }
  print "}"
}' > /www/env.json
httpd -f -p "$addr" -h /www &
pid=$!
trap 'kill "$pid" 2>/dev/null; exit 0' TERM INT
wait "$pid"
`;

const FILES: Record<string, string> = {
  'www/index.html': 'wharf-test\n',
  'www/health': 'ok\n',
  'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
  'etc/group': 'root:x:0:\nnogroup:x:65534:\n',
  'etc/httpd.conf': '.json:application/json\n',
};

/** Hash of everything in the image but the busybox binary: a changed script or site rebuilds the image. */
const IMAGE_HASH = createHash('sha256')
  .update(JSON.stringify({ v: 1, APPLETS, SERVE_SCRIPT, FILES }))
  .digest('hex')
  .slice(0, 16);

/** Builds the test image unless an image of the same content is already there. Returns whether it built. */
export async function ensureTestImage(docker: Docker): Promise<boolean> {
  const existing = await docker
    .getImage(TEST_IMAGE)
    .inspect()
    .catch((err: { statusCode?: number }) => {
      if (err.statusCode === 404) return undefined;
      throw err;
    });
  if (existing?.Config?.Labels?.[HASH_LABEL] === IMAGE_HASH) return false;
  const busybox = await staticBusybox();
  const tar = buildRootfsTar(busybox);
  const [repo, tag] = TEST_IMAGE.split(':') as [string, string];
  const stream = await docker.importImage(Readable.from([tar]), {
    repo,
    tag,
    changes: [
      'ENV PATH=/bin',
      'WORKDIR /',
      'CMD ["/bin/wharf-serve"]',
      `LABEL ${TEST_LABEL}=1 ${HASH_LABEL}=${IMAGE_HASH}`,
    ],
  });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: Array<{ error?: string }>) => {
      const failed = err?.message ?? output.find((o) => o.error)?.error;
      if (failed) reject(new Error(`docker import of ${TEST_IMAGE} failed: ${failed}`));
      else resolve();
    });
  });
  return true;
}

/** Debian's static busybox, installed with apt-get (busybox-static) when /bin/busybox is missing or dynamic. */
async function staticBusybox(): Promise<Buffer> {
  const current = await readFile(BUSYBOX).catch(() => undefined);
  if (current && isStaticElf(current)) return current;
  await aptInstall(['busybox-static']);
  const installed = await readFile(BUSYBOX);
  if (!isStaticElf(installed))
    throw new Error(`${BUSYBOX} is not a static binary after installing busybox-static`);
  return installed;
}

/** True for a 64-bit little-endian ELF file without a PT_INTERP program header (no dynamic loader). */
function isStaticElf(bin: Buffer): boolean {
  if (bin.length < 64 || bin.readUInt32BE(0) !== 0x7f454c46 || bin[4] !== 2 || bin[5] !== 1) return false;
  const phoff = Number(bin.readBigUInt64LE(32));
  const phentsize = bin.readUInt16LE(54);
  const phnum = bin.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > bin.length) return false;
    if (bin.readUInt32LE(at) === 3) return false; // PT_INTERP
  }
  return true;
}

interface TarEntry {
  name: string;
  mode: number;
  type: 'file' | 'dir' | 'symlink';
  data?: Buffer;
  link?: string;
}

/** A deterministic rootfs tarball (ustar, root-owned, mtime 0) for `docker import`. */
export function buildRootfsTar(busybox: Buffer): Buffer {
  const entries: TarEntry[] = [
    ...['bin', 'etc', 'www', 'proc', 'sys', 'dev', 'var'].map(
      (name): TarEntry => ({ name: `${name}/`, mode: 0o755, type: 'dir' }),
    ),
    { name: 'root/', mode: 0o700, type: 'dir' },
    { name: 'tmp/', mode: 0o1777, type: 'dir' },
    { name: 'bin/busybox', mode: 0o755, type: 'file', data: busybox },
    { name: 'bin/wharf-serve', mode: 0o755, type: 'file', data: Buffer.from(SERVE_SCRIPT) },
    ...Object.entries(FILES).map(
      ([name, text]): TarEntry => ({ name, mode: 0o644, type: 'file', data: Buffer.from(text) }),
    ),
    ...APPLETS.map((a): TarEntry => ({ name: `bin/${a}`, mode: 0o777, type: 'symlink', link: 'busybox' })),
  ];
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.data ?? Buffer.alloc(0);
    blocks.push(tarHeader(entry, data.length));
    if (data.length > 0) {
      blocks.push(data);
      const pad = (512 - (data.length % 512)) % 512;
      if (pad) blocks.push(Buffer.alloc(pad));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function tarHeader(entry: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  const octal = (value: number, offset: number, length: number) =>
    h.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'ascii');
  if (Buffer.byteLength(entry.name) > 100) throw new Error(`tar name too long: ${entry.name}`);
  h.write(entry.name, 0, 100, 'utf8');
  octal(entry.mode, 100, 8);
  octal(0, 108, 8); // uid
  octal(0, 116, 8); // gid
  octal(size, 124, 12);
  octal(0, 136, 12); // mtime
  h.fill(' ', 148, 156); // checksum placeholder
  h.write(entry.type === 'file' ? '0' : entry.type === 'dir' ? '5' : '2', 156, 1, 'ascii');
  if (entry.link) h.write(entry.link, 157, 100, 'utf8');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

/**
 * `apt-get install -y` of Debian packages, non-interactive, waiting up to 2 min for the dpkg lock (another
 * run may be installing). When the install fails (package lists missing on a fresh machine), runs
 * `apt-get update` once and tries again.
 */
export async function aptInstall(packages: string[]): Promise<void> {
  const install = [
    '-y',
    '-q',
    '--no-install-recommends',
    '-o',
    'DPkg::Lock::Timeout=120',
    'install',
    ...packages,
  ];
  const first = await run('apt-get', install, 300_000);
  if (first.code === 0) return;
  const update = await run('apt-get', ['-q', '-o', 'DPkg::Lock::Timeout=120', 'update'], 300_000);
  const second = await run('apt-get', install, 300_000);
  if (second.code === 0) return;
  throw new Error(
    `apt-get install ${packages.join(' ')} failed (exit ${second.code}):\n` +
      tail(first.output) +
      '\n--- after apt-get update (exit ' +
      update.code +
      ') ---\n' +
      tail(second.output),
  );
}

/** Runs a command with a deadline; resolves with its exit code (-1 when it could not run) and output. */
export function run(
  command: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: timeoutMs,
    });
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (err) => resolve({ code: -1, output: String(err) }));
    child.on('close', (code, signal) =>
      resolve({
        code: code ?? -1,
        output: Buffer.concat(chunks).toString() + (signal ? `\n(killed by ${signal})` : ''),
      }),
    );
  });
}

export function tail(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
