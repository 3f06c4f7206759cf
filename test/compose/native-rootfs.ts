import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEBIAN_CRS_PATH, DEBIAN_CRS_SETUP } from '../../config/middlewares/waf.ts';
import { JEMALLOC_LIBRARY } from '../../core/node-flags.ts';
import { FAST_GZIP_PATH } from '../../middleware/compress/fast-gzip.ts';
import { MODSECURITY_PATH } from '../../middleware/waf/engine.ts';
import { ensureFastGzip, ensureJemalloc, ensureModsecurity } from '../helpers/native.ts';

/**
 * What compose/Dockerfile's `native` stage leaves under /rootfs, taken from this machine for the local
 * recipe: the two addons native/build.js built here, the libraries `ldd` names for them that the node
 * binary does not load already (node-runtime has those), Debian's Core Rule Set (its rules and
 * /etc/modsecurity/crs) and jemalloc (installed with libjemalloc2 when missing). Each entry maps a file on this machine to its path in the image.
 */
export interface NativeFiles {
  /** [path on this machine, absolute path in the image] pairs. */
  files: Array<[string, string]>;
}

/** Where the images load the addons from (the Dockerfile's WORKDIR /app, as the loaders resolve them). */
export const IMAGE_ADDONS = ['/app/native/build/fast-gzip.node', '/app/native/build/modsecurity.node'];

/** Where the router image has jemalloc (its LD_PRELOAD). */
export const IMAGE_JEMALLOC = `/usr/lib/${JEMALLOC_LIBRARY}`;

/** Every file under a folder of this machine (absolute paths, sorted). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out.sort();
}

/**
 * The native stage's files from this machine. Builds the addons first when they are missing (as root on
 * Debian, installing libdeflate-dev, libmodsecurity-dev and modsecurity-crs: test/helpers/native.ts);
 * throws when that is not possible, since the router image is not the image without them.
 */
export async function nativeFiles(
  librariesOf: (binary: string) => Promise<string[]>,
  nodeLibraries: string[],
): Promise<NativeFiles> {
  for (const ensure of [ensureFastGzip, ensureModsecurity]) {
    const skip = await ensure();
    if (skip !== undefined) throw new Error(`the router image needs the native addons: ${skip}`);
  }
  const built = [FAST_GZIP_PATH, MODSECURITY_PATH];
  const files: Array<[string, string]> = built.map((p, i) => [p, IMAGE_ADDONS[i] as string]);
  const have = new Set(nodeLibraries);
  for (const addon of built)
    for (const lib of await librariesOf(addon)) {
      if (have.has(lib)) continue;
      have.add(lib);
      files.push([lib, lib]);
    }
  // jemalloc, at the one path the image's LD_PRELOAD names (compose/Dockerfile).
  const jemalloc = await ensureJemalloc();
  if ('skip' in jemalloc) throw new Error(`the router image needs jemalloc: ${jemalloc.skip}`);
  files.push([jemalloc.path, IMAGE_JEMALLOC]);
  const crsSetupDir = DEBIAN_CRS_SETUP.slice(0, DEBIAN_CRS_SETUP.lastIndexOf('/'));
  for (const f of [...filesUnder(`${DEBIAN_CRS_PATH}/rules`), ...filesUnder(crsSetupDir)]) files.push([f, f]);
  return { files };
}
