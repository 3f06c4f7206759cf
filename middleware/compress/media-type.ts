/** A parsed media type: lowercase type/subtype and lowercase parameter names. */
export interface MediaType {
  readonly type: string;
  readonly params: ReadonlyMap<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses a Content-Type value as Go's mime.ParseMediaType does for the cases that matter here: a
 * `type/subtype` of tokens and `name=value` parameters (values may be quoted); undefined when malformed.
 */
export function parseMediaType(value: string): MediaType | undefined {
  const parts = value.split(';');
  const type = (parts[0] as string).trim().toLowerCase();
  const slash = type.indexOf('/');
  if (slash <= 0 || !TOKEN.test(type.slice(0, slash)) || !TOKEN.test(type.slice(slash + 1))) return undefined;
  const params = new Map<string, string>();
  for (let i = 1; i < parts.length; i++) {
    const p = (parts[i] as string).trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq <= 0) return undefined;
    const name = p.slice(0, eq).trim().toLowerCase();
    let v = p.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    if (!TOKEN.test(name)) return undefined;
    params.set(name, v);
  }
  return { type, params };
}

/**
 * Whether a response's media type matches a configured one: same type, and when the configured one has
 * parameters, exactly the same parameters (Traefik's and klauspost/gzhttp's rule).
 */
export function mediaTypeMatches(configured: MediaType, actual: MediaType): boolean {
  if (configured.type !== actual.type) return false;
  if (configured.params.size === 0) return true;
  if (configured.params.size !== actual.params.size) return false;
  for (const [k, v] of configured.params) if (actual.params.get(k) !== v) return false;
  return true;
}
