import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DEBIAN_CRS_PATH, DEBIAN_CRS_SETUP } from '../../config/middlewares/waf.ts';
import { allocatorChoice } from '../../core/node-flags.ts';
import { FAST_GZIP_PATH } from '../../middleware/compress/fast-gzip.ts';
import { MODSECURITY_PATH } from '../../middleware/waf/engine.ts';
import { aptInstall } from '../docker/image.ts';

/**
 * Makes sure the libdeflate addon (native/fast-gzip.c) is built, so the tests cover the engine Wharf
 * uses where it can: as root on Debian, `apt-get install libdeflate-dev gcc libc6-dev` when the header or
 * the compiler is missing, then `node native/build.js --require`. Returns why the addon's tests must skip
 * (not Debian, not root), or undefined when it is built; a failed install or build throws.
 */
export async function ensureFastGzip(): Promise<string | undefined> {
  if (existsSync(FAST_GZIP_PATH)) return undefined;
  const compiler = spawnSync('cc', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!compiler || !existsSync('/usr/include/libdeflate.h')) {
    if (!existsSync('/etc/debian_version') || process.getuid?.() !== 0)
      return 'the libdeflate addon is not built and installing libdeflate-dev is only automated as root on Debian';
    console.log(
      '[native] libdeflate-dev or a C compiler is missing: apt-get install libdeflate-dev gcc libc6-dev …',
    );
    await aptInstall(['libdeflate-dev', 'gcc', 'libc6-dev']);
  }
  const build = spawnSync(process.execPath, ['native/build.js', '--require', '--only=fast-gzip'], {
    encoding: 'utf8',
  });
  if (build.status !== 0)
    throw new Error(`node native/build.js --require failed:\n${build.stderr}${build.stdout}`);
  return undefined;
}

/**
 * Makes sure the ModSecurity addon (native/modsecurity.c, the waf middleware's engine) is built and the
 * Core Rule Set installed: as root on Debian, `apt-get install libmodsecurity-dev modsecurity-crs gcc
 * libc6-dev` when a piece is missing, then `node native/build.js --require --only=modsecurity`. Returns
 * why the waf tests must skip (WHARF_MODSECURITY=off, not Debian, not root), or undefined when they can
 * run; a skip fails CI (WHARF_REQUIRE_ALL=1, test/summary-reporter.ts); a failed install or build throws.
 */
export async function ensureModsecurity(): Promise<string | undefined> {
  if (process.env.WHARF_MODSECURITY === 'off') return 'disabled by WHARF_MODSECURITY=off';
  const crs = existsSync(`${DEBIAN_CRS_PATH}/rules`) && existsSync(DEBIAN_CRS_SETUP);
  if (existsSync(MODSECURITY_PATH) && crs) return undefined;
  const compiler = spawnSync('cc', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!compiler || !crs || !existsSync('/usr/include/modsecurity/modsecurity.h')) {
    if (!existsSync('/etc/debian_version') || process.getuid?.() !== 0)
      return 'the ModSecurity addon is not built and installing libmodsecurity-dev is only automated as root on Debian';
    console.log('[native] libmodsecurity-dev, modsecurity-crs or a C compiler is missing: apt-get install …');
    await aptInstall(['libmodsecurity-dev', 'modsecurity-crs', 'gcc', 'libc6-dev']);
  }
  const build = spawnSync(process.execPath, ['native/build.js', '--require', '--only=modsecurity'], {
    encoding: 'utf8',
  });
  if (build.status !== 0)
    throw new Error(
      `node native/build.js --require --only=modsecurity failed:\n${build.stderr}${build.stdout}`,
    );
  return undefined;
}

/**
 * Makes sure jemalloc (Debian's libjemalloc2), which bin/launch.js preloads when installed, is there: as
 * root on Debian, `apt-get install libjemalloc2` when missing. Returns its path, or why the tests of the
 * allocator must skip (not Debian, not root); a skip fails CI (WHARF_REQUIRE_ALL=1).
 */
export async function ensureJemalloc(): Promise<{ path: string } | { skip: string }> {
  let path = allocatorChoice('jemalloc', existsSync).preload;
  if (path === undefined) {
    if (!existsSync('/etc/debian_version') || process.getuid?.() !== 0)
      return {
        skip: 'jemalloc is not installed and installing libjemalloc2 is only automated as root on Debian',
      };
    console.log('[native] jemalloc is missing: apt-get install libjemalloc2 …');
    await aptInstall(['libjemalloc2']);
    path = allocatorChoice('jemalloc', existsSync).preload;
    if (path === undefined) throw new Error('libjemalloc2 is installed but libjemalloc.so.2 is not found');
  }
  return { path };
}
