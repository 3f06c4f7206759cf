// Which percent-encoded characters a request path may hold: one implementation for the entryPoint option
// `http.encodedCharacters` (router/http/sanitize-target.ts) and the `encodedCharacters` middleware.

/** The `encodedCharacters` options, each resolved to a boolean (the defaults differ: see the callers). */
export interface EncodedCharactersOptions {
  readonly allowEncodedSlash: boolean;
  readonly allowEncodedBackSlash: boolean;
  readonly allowEncodedNullCharacter: boolean;
  readonly allowEncodedSemicolon: boolean;
  readonly allowEncodedPercent: boolean;
  readonly allowEncodedQuestionMark: boolean;
  readonly allowEncodedHash: boolean;
}

/**
 * The escapes `encodedCharacters` refuses, upper case: Traefik's list (`/ \ NUL ; % ? #`) minus the allowed
 * ones. Undefined options deny nothing (the entryPoint's section absent).
 */
export function deniedEncodings(options: EncodedCharactersOptions | undefined): ReadonlySet<string> {
  const denied = new Set<string>();
  if (!options) return denied;
  if (!options.allowEncodedSlash) denied.add('%2F');
  if (!options.allowEncodedBackSlash) denied.add('%5C');
  if (!options.allowEncodedNullCharacter) denied.add('%00');
  if (!options.allowEncodedSemicolon) denied.add('%3B');
  if (!options.allowEncodedPercent) denied.add('%25');
  if (!options.allowEncodedQuestionMark) denied.add('%3F');
  if (!options.allowEncodedHash) denied.add('%23');
  return denied;
}

/**
 * The first escape of `path` in `denied` (compared in upper case: `%2f` is `%2F`), or undefined. A `%`
 * without two characters after it is returned as is, so the caller refuses it too (Traefik's middleware
 * answers it 400; the entryPoint has refused malformed escapes before).
 */
export function deniedEncoding(path: string, denied: ReadonlySet<string>): string | undefined {
  if (denied.size === 0) return undefined;
  for (let i = path.indexOf('%'); i >= 0; i = path.indexOf('%', i + 3)) {
    if (i + 2 >= path.length) return path.slice(i);
    const encoded = path.slice(i, i + 3).toUpperCase();
    if (denied.has(encoded)) return encoded;
  }
  return undefined;
}
