// Docker Compose's variable interpolation (compose spec, "Interpolation"), for `wharf check --labels` on a
// compose file: labels such as `traefik.http.routers.web.rule=Host(`${DOMAIN}`)` are checked with the
// values `docker compose up` would give them. Pure: the caller passes the variables.
//
//   $VAR, ${VAR}        the value; unset: empty, and the name is reported as unresolved (compose warns)
//   ${VAR:-default}     default when VAR is unset or empty; ${VAR-default} only when unset
//   ${VAR:?message}     an error when VAR is unset or empty; ${VAR?message} only when unset
//   ${VAR:+alt}         alt when VAR is set and not empty, else empty; ${VAR+alt} when set
//   $$                  a literal $
// Operands are interpolated themselves (`${A:-${B:-x}}`), only when used. A `$` that starts no name and
// no `${` is kept as written; `${` without its `}` or with a bad name is an error, as in compose.

/** Reads a variable: its value, or undefined when it is not set. */
export type Lookup = (name: string) => string | undefined;

/** An interpolated string, the variables it used that are not set, and the errors (`:?`, bad syntax). */
export interface Interpolated {
  readonly value: string;
  readonly unresolved: string[];
  readonly errors: string[];
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;
const OPERATORS = [':-', ':?', ':+', '-', '?', '+'] as const;

/** The index of the `}` closing the `${` whose body starts at `from`, nested `${…}` skipped; -1 if none. */
function closingBrace(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '$' && text[i + 1] === '$') i++;
    else if (c === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** Interpolates one string as docker compose does. */
export function interpolate(text: string, lookup: Lookup): Interpolated {
  const unresolved: string[] = [];
  const errors: string[] = [];
  const run = (s: string): string => {
    let out = '';
    let i = 0;
    while (i < s.length) {
      const c = s[i] as string;
      if (c !== '$') {
        out += c;
        i++;
        continue;
      }
      const next = s[i + 1];
      if (next === '$') {
        out += '$';
        i += 2;
      } else if (next !== undefined && NAME_START.test(next)) {
        let end = i + 2;
        while (end < s.length && NAME_CHAR.test(s[end] as string)) end++;
        out += variable(s.slice(i + 1, end));
        i = end;
      } else if (next === '{') {
        const close = closingBrace(s, i + 2);
        if (close < 0) {
          errors.push(`invalid interpolation format in "${s}": "\${" without its "}"`);
          return out + s.slice(i);
        }
        out += braced(s.slice(i + 2, close), s);
        i = close + 1;
      } else {
        out += '$'; // not a variable: kept as written
        i++;
      }
    }
    return out;
  };
  const variable = (name: string): string => {
    const v = lookup(name);
    if (v === undefined) unresolved.push(name);
    return v ?? '';
  };
  const braced = (body: string, whole: string): string => {
    let n = 0;
    while (n < body.length && (n === 0 ? NAME_START : NAME_CHAR).test(body[n] as string)) n++;
    const name = body.slice(0, n);
    const rest = body.slice(n);
    if (name === '') {
      errors.push(
        `invalid interpolation format in "${whole}": "\${${body}}" does not start with a variable name`,
      );
      return '';
    }
    if (rest === '') return variable(name);
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (op === undefined) {
      errors.push(
        `invalid interpolation format in "${whole}": "\${${body}}" (compose supports :-, -, :?, ?, :+ and + only)`,
      );
      return '';
    }
    const operand = rest.slice(op.length);
    const value = lookup(name);
    const set = value !== undefined && (!op.startsWith(':') || value !== '');
    switch (op) {
      case ':-':
      case '-':
        return set ? (value as string) : run(operand);
      case ':+':
      case '+':
        return set ? run(operand) : '';
      default: {
        if (set) return value as string;
        const message = run(operand);
        errors.push(`required variable ${name} is missing a value${message === '' ? '' : `: ${message}`}`);
        return '';
      }
    }
  };
  const value = run(text);
  return { value, unresolved: [...new Set(unresolved)], errors };
}

/** Whether a value is a plain object (a YAML map). */
const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Interpolates every string value of a parsed compose document (map keys are left alone, as in compose);
 * errors name the place (`services.web.labels[0]: …`).
 */
export function interpolateTree(doc: unknown, lookup: Lookup): Interpolated & { tree: unknown } {
  const unresolved = new Set<string>();
  const errors: string[] = [];
  const walk = (v: unknown, path: string): unknown => {
    if (typeof v === 'string') {
      const r = interpolate(v, lookup);
      for (const u of r.unresolved) unresolved.add(u);
      for (const e of r.errors) errors.push(`${path}: ${e}`);
      return r.value;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`));
    if (isMap(v))
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, path ? `${path}.${k}` : k)]));
    return v;
  };
  const tree = walk(doc, '');
  return { tree, value: '', unresolved: [...unresolved], errors };
}

// `\$` in a double-quoted value is a literal dollar: `$$` survives the interpolation that follows.
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '$$' };

/**
 * Reads a `.env` file as docker compose does: `KEY=VALUE` lines, `export KEY=VALUE`, `#` comments;
 * single-quoted values are literal, double-quoted ones take `\n`-style escapes, and unquoted and
 * double-quoted values are interpolated with the variables defined above them (then `lookup`); an
 * unquoted value ends at ` #`.
 */
export function parseEnvFile(
  text: string,
  lookup: Lookup = () => undefined,
): Interpolated & { vars: Map<string, string> } {
  const vars = new Map<string, string>();
  const unresolved = new Set<string>();
  const errors: string[] = [];
  const scoped: Lookup = (name) => vars.get(name) ?? lookup(name);
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const body = line.startsWith('export ') ? line.slice(7).trimStart() : line;
    const eq = body.indexOf('=');
    if (eq < 0) return; // `KEY` alone: compose takes it from the environment, which `lookup` already is
    const key = body.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      errors.push(`line ${i + 1}: "${key}" is not a variable name`);
      return;
    }
    let value = body.slice(eq + 1).trim();
    let expand = true;
    if (value.startsWith("'") && value.endsWith("'") && value.length >= 2) {
      value = value.slice(1, -1);
      expand = false;
    } else if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1).replace(/\\(.)/g, (m, c: string) => ESCAPES[c] ?? m);
    } else {
      const comment = value.search(/\s#/);
      if (comment >= 0) value = value.slice(0, comment).trimEnd();
    }
    if (expand) {
      const r = interpolate(value, scoped);
      for (const u of r.unresolved) unresolved.add(u);
      for (const e of r.errors) errors.push(`line ${i + 1}: ${e}`);
      value = r.value;
    }
    vars.set(key, value);
  });
  return { vars, value: '', unresolved: [...unresolved], errors };
}
