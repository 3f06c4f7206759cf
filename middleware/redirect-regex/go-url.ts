// Traefik parses the rewritten URL with Go's url.Parse and sends `Location: <url>.String()`: a URL it
// cannot parse is a 500, and the one it sends is re-escaped (a space becomes %20, `é` becomes %C3%A9).
// This module does the same on the characters Go treats specially (net/url's parse, EscapedPath and
// String, as documented there), so the Location Wharf sends is the one Traefik sends.

const HEX = '0123456789ABCDEF';
type Mode = 'path' | 'host' | 'fragment' | 'userinfo';

function isUnreserved(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5f ||
    c === 0x7e
  );
}

/** Go's shouldEscape for the modes a Location uses. */
function shouldEscape(c: number, mode: Mode): boolean {
  if (isUnreserved(c)) return false;
  const ch = String.fromCharCode(c);
  if (mode === 'host') return !`!$&'()*+,;=:[]<>"`.includes(ch);
  if ('$&+,/:;=?@'.includes(ch)) {
    if (mode === 'path') return ch === '?';
    if (mode === 'userinfo') return '@/?:'.includes(ch);
    return false; // fragment
  }
  if (mode === 'fragment' && '!()*'.includes(ch)) return false;
  return true;
}

/** Percent-escapes the UTF-8 bytes of `s` that Go escapes in this part of a URL. */
function goEscape(s: string, mode: Mode): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    out += shouldEscape(byte, mode) ? `%${HEX[byte >> 4]}${HEX[byte & 15]}` : String.fromCharCode(byte);
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/** Go's unescape: the decoded text, or undefined for a malformed escape (or, in a host, a bad character). */
function goUnescape(s: string, mode: Mode): string | undefined {
  const bytes: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as number;
    if (c === 0x25) {
      const hi = hexValue(raw[i + 1] ?? -1);
      const lo = hexValue(raw[i + 2] ?? -1);
      if (hi < 0 || lo < 0) return undefined;
      bytes.push(hi * 16 + lo);
      i += 2;
    } else {
      if (mode === 'host' && c < 0x80 && shouldEscape(c, mode)) return undefined;
      bytes.push(c);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Go's validEncoded: whether `s` may be sent as written (only escapes and characters legal there). */
function validEncoded(s: string, mode: Mode): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ("!$&'()*+,;=:@[]%".includes(s[i] as string)) continue;
    if (c >= 0x80 || shouldEscape(c, mode)) return false;
  }
  return true;
}

/** The escaped form Go sends for a path or fragment written as `raw`. */
function escaped(raw: string, decoded: string, mode: Mode): string {
  return validEncoded(raw, mode) ? raw : goEscape(decoded, mode);
}

/** The outcome: the Location Go's URL.String() gives, or why url.Parse refuses the text. */
export type GoUrlResult = { ok: true; location: string } | { ok: false; problem: string };

/**
 * Parses `text` as Go's url.Parse does and writes it back as URL.String() does. Covers what a redirect
 * target holds: scheme, user info, host and port, path, query and fragment; opaque URLs (`mailto:x`).
 */
export function goUrlString(text: string): GoUrlResult {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Go refuses exactly these.
  if (/[\x00-\x1f\x7f]/.test(text)) return { ok: false, problem: 'invalid control character in URL' };
  const hash = text.indexOf('#');
  let rest = hash === -1 ? text : text.slice(0, hash);
  const fragmentRaw = hash === -1 ? undefined : text.slice(hash + 1);
  const fragment = fragmentRaw === undefined ? undefined : goUnescape(fragmentRaw, 'fragment');
  if (fragmentRaw !== undefined && fragment === undefined)
    return { ok: false, problem: `invalid URL escape in fragment "${fragmentRaw}"` };

  let scheme = '';
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  if (rest.startsWith(':')) return { ok: false, problem: 'missing protocol scheme' };
  if (schemeMatch) {
    scheme = (schemeMatch[1] as string).toLowerCase();
    rest = rest.slice(schemeMatch[0].length);
  }
  let query: string | undefined;
  const q = rest.indexOf('?');
  if (q !== -1) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const tail = `${query !== undefined ? `?${query}` : ''}${
    fragment !== undefined ? `#${escaped(fragmentRaw as string, fragment, 'fragment')}` : ''
  }`;
  if (!rest.startsWith('/')) {
    if (scheme !== '') return { ok: true, location: `${scheme}:${rest}${tail}` }; // opaque
    const slash = rest.indexOf('/');
    if ((slash === -1 ? rest : rest.slice(0, slash)).includes(':'))
      return { ok: false, problem: 'first path segment in URL cannot contain colon' };
  }
  let authority: string | undefined;
  if (rest.startsWith('//') && (scheme !== '' || !rest.startsWith('///'))) {
    const end = rest.indexOf('/', 2);
    authority = end === -1 ? rest.slice(2) : rest.slice(2, end);
    rest = end === -1 ? '' : rest.slice(end);
  }
  let prefix = scheme === '' ? '' : `${scheme}:`;
  if (authority !== undefined) {
    const host = parseAuthority(authority);
    if (!host.ok) return host;
    prefix += `//${host.location}`;
  }
  const path = goUnescape(rest, 'path');
  if (path === undefined) return { ok: false, problem: `invalid URL escape in path "${rest}"` };
  let shownPath = escaped(rest, path, 'path');
  if (shownPath !== '' && !shownPath.startsWith('/') && authority) shownPath = `/${shownPath}`;
  return { ok: true, location: `${prefix}${shownPath}${tail}` };
}

/** The authority as Go writes it back: user info and host re-escaped, the port checked. */
function parseAuthority(authority: string): GoUrlResult {
  const at = authority.lastIndexOf('@');
  let user = '';
  if (at !== -1) {
    const info = authority.slice(0, at);
    if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(info)) return { ok: false, problem: 'invalid userinfo' };
    const colon = info.indexOf(':');
    const name = goUnescape(colon === -1 ? info : info.slice(0, colon), 'userinfo');
    const pass = colon === -1 ? undefined : goUnescape(info.slice(colon + 1), 'userinfo');
    if (name === undefined || (colon !== -1 && pass === undefined))
      return { ok: false, problem: 'invalid URL escape in user info' };
    user = `${goEscape(name, 'userinfo')}${pass === undefined ? '' : `:${goEscape(pass, 'userinfo')}`}@`;
  }
  const hostPort = authority.slice(at + 1);
  let port = '';
  let host = hostPort;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close === -1) return { ok: false, problem: "missing ']' in host" };
    port = hostPort.slice(close + 1);
    host = hostPort.slice(0, close + 1);
    if (port !== '' && !port.startsWith(':'))
      return { ok: false, problem: `invalid port "${port}" after host` };
  } else {
    const colon = hostPort.lastIndexOf(':');
    if (colon !== -1) {
      port = hostPort.slice(colon);
      host = hostPort.slice(0, colon);
    }
  }
  if (!/^(:[0-9]*)?$/.test(port)) return { ok: false, problem: `invalid port "${port}" after host` };
  const decoded = goUnescape(host, 'host');
  if (decoded === undefined) return { ok: false, problem: `invalid character in host name "${host}"` };
  return { ok: true, location: `${user}${goEscape(decoded, 'host')}${port}` };
}
