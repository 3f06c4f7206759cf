import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Certificate and key files of a throwaway self-signed certificate. */
export interface TestCert {
  readonly certFile: string;
  readonly keyFile: string;
}

/** A temp folder of self-signed certificates made with the openssl CLI; `remove()` deletes it. */
export interface CertFactory {
  readonly dir: string;
  /**
   * A self-signed ECDSA P-256 certificate (one day) for `names` (DNS SANs; IP addresses become IP SANs),
   * CN the first name. `file` names the pair, so a later call can overwrite it (hot-swap tests).
   */
  make(file: string, names: readonly string[]): TestCert;
  remove(): void;
}

/** Creates a certificate factory in a new temp folder. */
export function certFactory(): CertFactory {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-certs-'));
  return {
    dir,
    make(file, names) {
      const certFile = join(dir, `${file}.pem`);
      const keyFile = join(dir, `${file}.key`);
      const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-days',
          '1',
          '-subj',
          `/CN=${names[0] ?? 'test'}`,
          '-addext',
          `subjectAltName=${san}`,
          '-keyout',
          keyFile,
          '-out',
          certFile,
        ],
        { stdio: 'pipe' },
      );
      return { certFile, keyFile };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
