import { createHash, timingSafeEqual } from 'node:crypto';
import * as apacheMd5 from 'apache-md5';
import bcrypt from 'bcryptjs';

// apache-md5 is CommonJS (module.exports is the function) while its typings declare an ES default export,
// which TypeScript then types as the whole module: the function is the namespace's default at run time.
const aprMd5 = apacheMd5.default as unknown as (password: string, salt: string) => string;

// The hash formats Traefik accepts, as go-http-auth's CheckSecret (containous fork, used by Traefik v3)
// picks them by prefix: `{SHA}` (SHA1, base64), `$2a$`/`$2b$`/`$2x$`/`$2y$` (bcrypt), and otherwise
// `$magic$salt$hash` as MD5-crypt, which only `$1$` (MD5-crypt) and `$apr1$` (Apache MD5) hashes can ever
// match. Plain text, DES crypt, SHA-256/512-crypt ($5$, $6$) and argon2 never match in Traefik either.

/** A supported hash format, or undefined for a secret that can never match. */
export type HashFormat = 'bcrypt' | 'apr1' | 'md5-crypt' | 'sha1';

const BCRYPT = /^\$2[abxy]\$/;

/** The format of an htpasswd secret, by its prefix as Traefik reads it. */
export function hashFormat(secret: string): HashFormat | undefined {
  if (secret.startsWith('{SHA}')) return 'sha1';
  if (BCRYPT.test(secret)) return 'bcrypt';
  const parts = secret.split('$');
  if (parts.length < 4 || parts[0] !== '') return undefined;
  if (parts[1] === 'apr1') return 'apr1';
  if (parts[1] === '1') return 'md5-crypt';
  return undefined;
}

/** Equal strings, compared in time that does not depend on where they differ. */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'latin1');
  const y = Buffer.from(b, 'latin1');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The password as a string of its UTF-8 bytes, one character each: apache-md5 hashes characters as bytes. */
function byteString(password: string): string {
  return Buffer.from(password, 'utf8').toString('latin1');
}

/**
 * True when `password` matches the htpasswd `secret`. bcrypt runs asynchronously in bcryptjs (its work is
 * cut into slices so other requests are served meanwhile); the others are one or a thousand MD5/SHA1 calls.
 * Every comparison of the computed hash with the secret is constant-time.
 */
export async function checkSecret(password: string, secret: string): Promise<boolean> {
  switch (hashFormat(secret)) {
    case 'sha1':
      return sameText(secret.slice(5), createHash('sha1').update(password, 'utf8').digest('base64'));
    case 'bcrypt': {
      // The four revisions compute the same hash for passwords of 7-bit characters, and Go's bcrypt treats
      // them alike; bcryptjs knows $2a$, $2b$ and $2y$, so the revision is set to $2b$ on both sides.
      const normalized = `$2b$${secret.slice(4)}`;
      if (normalized.length !== 60) return false;
      try {
        return sameText(normalized, await bcrypt.hash(password, normalized.slice(0, 29)));
      } catch {
        // An invalid cost or salt: such a secret matches no password, as in Go.
        return false;
      }
    }
    case 'apr1':
    case 'md5-crypt':
      return sameText(secret, aprMd5(byteString(password), secret));
    default:
      return false;
  }
}
