/**
 * The parameters of a `Digest` Authorization header (RFC 7616 §3.4), or undefined for another scheme.
 * Read as go-http-auth reads them: a comma-separated list where commas inside quoted strings do not split,
 * `\x` in a quoted string stands for x, and a value's surrounding quotes are removed. Names are lower-cased
 * (they are case-insensitive); a name given twice keeps its last value.
 */
export function parseDigestParams(header: string | undefined): Map<string, string> | undefined {
  if (header === undefined) return;
  const space = header.indexOf(' ');
  if (space === -1 || header.slice(0, space).toLowerCase() !== 'digest') return;
  const params = new Map<string, string>();
  for (const item of splitList(header.slice(space + 1))) {
    const eq = item.indexOf('=');
    if (eq === -1) {
      params.set(item.toLowerCase(), '');
      continue;
    }
    let value = item.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    params.set(item.slice(0, eq).trim().toLowerCase(), value);
  }
  return params;
}

/** Items of a comma-separated list, quoted strings kept whole (quotes kept, escapes resolved), trimmed. */
function splitList(text: string): string[] {
  const items: string[] = [];
  let current = '';
  let quoted = false;
  let escaped = false;
  for (const c of text) {
    if (escaped) {
      current += c;
      escaped = false;
    } else if (quoted) {
      if (c === '\\') escaped = true;
      else {
        if (c === '"') quoted = false;
        current += c;
      }
    } else if (c === ',') {
      items.push(current.trim());
      current = '';
    } else {
      if (c === '"') quoted = true;
      current += c;
    }
  }
  if (current.trim() !== '') items.push(current.trim());
  return items.filter((i) => i !== '');
}
