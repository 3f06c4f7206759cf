import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { FAST_GZIP_PATH } from '../../middleware/compress/fast-gzip.ts';
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
  const build = spawnSync(process.execPath, ['native/build.js', '--require'], { encoding: 'utf8' });
  if (build.status !== 0)
    throw new Error(`node native/build.js --require failed:\n${build.stderr}${build.stdout}`);
  return undefined;
}
