// Secrets that configuration may hold (a password in a server URL, an Authorization header a middleware
// adds) must not be shown by the API or written to logs. Redacted text keeps its shape, so an operator can
// still tell which URL or header it was; the secret becomes REDACTED, as Go's url.URL.Redacted() writes it.

/** What a secret is replaced with. */
export const REDACTED = 'xxxxx';

// scheme://user:password@ : the password is everything between the first ":" and the last "@" before the
// path, which is where WHATWG URL and Go's url.Parse end the userinfo, so a raw "@" in it is covered too.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#:]*):[^\s/?#]*@/gi;

/** `text` with the password of every URL in it replaced (`http://user:xxxxx@host`); other text unchanged. */
export function redactUrls(text: string): string {
  // Most texts hold no "@": skip the regular expression for them (this runs per proxied request).
  return text.includes('@') ? text.replace(URL_PASSWORD, `$1:${REDACTED}@`) : text;
}

// Header and option names whose values are credentials: Authorization, Proxy-Authorization, Cookie,
// X-Api-Key, X-Auth-Token, password, secret, ... (a name containing one of these words).
const SECRET_NAME = /auth|token|secret|passw|api[-_]?key|cookie|session|credential|signature|private/i;

/** True when a header or option of this name carries a credential, so its value must not be shown. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

// Options whose names contain a secret word but whose values are not credentials: shown as they are.
const NOT_SECRET_OPTIONS = new Set(['authResponseHeadersRegex', 'authSigninURL', 'clientAuthType']);

// Query parameters that carry credentials besides those with a secret name: `?key=` (API keys), `?sig=`.
const SECRET_QUERY_NAME = /^(key|sig|code)$/i;

// A URL with a query string: scheme://... ? ... up to the next white space.
const URL_WITH_QUERY = /\b[a-z][a-z0-9+.-]*:\/\/[^\s?#]*\?[^\s#]*/gi;

/**
 * `text` with the password of every URL and the values of its credential query parameters (`?token=`,
 * `?api_key=`, `?key=`) replaced; other text unchanged. For configuration shown by the API, not the hot path.
 */
export function redactUrlSecrets(text: string): string {
  const out = redactUrls(text);
  if (!out.includes('?')) return out;
  return out.replace(URL_WITH_QUERY, (url) => {
    const q = url.indexOf('?');
    const params = url
      .slice(q + 1)
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        if (eq === -1) return pair;
        const name = safeDecode(pair.slice(0, eq));
        return isSecretName(name) || SECRET_QUERY_NAME.test(name) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
      });
    return `${url.slice(0, q + 1)}${params.join('&')}`;
  });
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/**
 * A copy of a JSON-like value with its secrets redacted: the string value of every key with a secret name
 * (header maps such as customRequestHeaders, healthCheck.headers, options such as `password`, a Redis
 * password), the hashes of basicAuth/digestAuth `users`, private keys given inline as PEM, and the password
 * and credential query parameters of every URL, in values and in keys (serverStatus is keyed by server URL).
 */
export function redactSecrets<T>(value: T): T {
  return walk(value) as T;
}

// A private key given inline (forwardAuth's tls.key, certificates' keyFile) is a secret whatever its key's name.
const INLINE_PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** An auth middleware's `users` entry (name:hash, name:realm:HA1) with its hash redacted, its name kept. */
function redactUserEntry(entry: unknown): unknown {
  if (typeof entry !== 'string') return walk(entry);
  const colon = entry.lastIndexOf(':');
  return colon === -1 ? REDACTED : `${entry.slice(0, colon)}:${REDACTED}`;
}

function walk(value: unknown): unknown {
  if (typeof value === 'string') return INLINE_PRIVATE_KEY.test(value) ? REDACTED : redactUrlSecrets(value);
  if (Array.isArray(value)) return value.map(walk);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // basicAuth/digestAuth `users` hold password hashes, which can be attacked offline.
    if (k === 'users' && Array.isArray(v)) out[k] = v.map(redactUserEntry);
    else
      out[redactUrlSecrets(k)] =
        typeof v === 'string' && v !== '' && isSecretName(k) && !NOT_SECRET_OPTIONS.has(k)
          ? REDACTED
          : walk(v);
  }
  return out;
}
