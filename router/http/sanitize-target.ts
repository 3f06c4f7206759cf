import { deniedEncoding } from '../../middleware/encoded-characters/denied-encodings.ts';
import { cleanPath } from '../../middleware/path.ts';

/** How an entryPoint cleans request targets before routing (its `http.sanitizePath` and `http.encodedCharacters`). */
export interface TargetPolicy {
  /** Remove `.` and `..` segments and duplicate slashes (Traefik's `sanitizePath`, default true). */
  readonly sanitizePath: boolean;
  /** Upper-case escapes (`%2F`) whose presence in the path is answered with 400; empty: none. */
  readonly deniedEncodings: ReadonlySet<string>;
}

/** The result of cleaning a request target: the target to route and forward, or why it is refused (400). */
export type SanitizedTarget =
  | { readonly ok: true; readonly url: string }
  | { readonly ok: false; readonly problem: string };

const PERCENT = 37;
const SLASH = 47;
const DOT = 46;
const HASH = 35;
const QUESTION = 63;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/** RFC 3986 §2.3 unreserved characters: an escape of one of them means the character itself. */
function isUnreserved(c: number): boolean {
  const lower = c | 0x20;
  return (
    (lower >= 97 && lower <= 122) || (c >= 48 && c <= 57) || c === 45 || c === DOT || c === 95 || c === 126
  );
}

/**
 * Normalizes the escapes of a path (RFC 3986 §6.2.2.1-2), as Traefik does before routing: an escaped
 * unreserved character is decoded (`%2e` → `.`, `%61` → `a`), every other escape is upper-cased (`%2f` →
 * `%2F`). Undefined for a malformed escape (`%`, `%4`, `%zz`), which Go's server answers with 400.
 */
export function normalizeEscapes(path: string): string | undefined {
  let out = '';
  let from = 0;
  for (let i = path.indexOf('%'); i >= 0; i = path.indexOf('%', i)) {
    const hi = hexValue(path.charCodeAt(i + 1));
    const lo = hexValue(path.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return undefined;
    const code = hi * 16 + lo;
    out += path.slice(from, i);
    out += isUnreserved(code) ? String.fromCharCode(code) : `%${path.slice(i + 1, i + 3).toUpperCase()}`;
    i += 3;
    from = i;
  }
  return from === 0 ? path : out + path.slice(from);
}

/**
 * Cleans an origin-form request target (`/path?query`) before routing, so the routers and the server see
 * the same path: a `#` in the path is refused (Traefik's fragment check), escapes are normalized
 * (normalizeEscapes; a malformed one is refused), a denied encoded character is refused, and the path
 * is cleaned when `sanitizePath` is on. The query is kept byte for byte.
 */
export function sanitizeTarget(url: string, policy: TargetPolicy): SanitizedTarget {
  let end = url.length;
  let suspicious = false;
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === QUESTION) {
      end = i;
      break;
    }
    // '%' (escapes), '#' (fragment), and "//" or "/." (segments to clean) send the path the slow way.
    if (c === PERCENT || c === HASH) suspicious = true;
    else if (c === SLASH) {
      const next = url.charCodeAt(i + 1);
      if (next === SLASH || next === DOT) suspicious = true;
    }
  }
  if (!suspicious) return { ok: true, url };
  const raw = url.slice(0, end);
  if (raw.includes('#')) return { ok: false, problem: 'a fragment (#) in the path' };
  const normalized = normalizeEscapes(raw);
  if (normalized === undefined) return { ok: false, problem: 'a malformed percent-encoding in the path' };
  // Traefik filters encoded characters before it cleans the path: `/a/%2F/../b` is refused, not served as /a/b.
  const denied = deniedEncoding(normalized, policy.deniedEncodings);
  if (denied !== undefined) return { ok: false, problem: `the encoded character ${denied} in the path` };
  const path = policy.sanitizePath ? cleanPath(normalized) : normalized;
  return { ok: true, url: path === raw ? url : path + url.slice(end) };
}
