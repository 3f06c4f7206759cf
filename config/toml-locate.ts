import type { ConfigPath } from './canonicalize.ts';

// smol-toml gives values without positions, so a light line scanner finds where keys and tables are
// written. It understands table headers, arrays of tables and dotted or quoted keys; a key inside an
// inline table or a multi-line array is located at the line of its outer key.

const BARE = /^[A-Za-z0-9_-]+/;

/** Splits a TOML dotted key (`a."b.c".d`) into its parts; undefined when it is not a key. */
export function parseTomlKey(text: string): string[] | undefined {
  const parts: string[] = [];
  let rest = text.trim();
  for (;;) {
    const m = /^"((?:[^"\\]|\\.)*)"/.exec(rest) ?? /^'([^']*)'/.exec(rest) ?? BARE.exec(rest);
    if (!m) return undefined;
    parts.push(m[0].startsWith('"') ? unquote(m[0], m[1] as string) : (m[1] ?? m[0]));
    rest = rest.slice(m[0].length).trimStart();
    if (rest === '') return parts;
    if (!rest.startsWith('.')) return undefined;
    rest = rest.slice(1).trimStart();
  }
}

function unquote(quoted: string, inner: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return inner; // TOML-only escapes (\U0001F600): close enough for locating a line
  }
}

const norm = (path: ConfigPath): string => path.map((p) => String(p).toLowerCase()).join('\u0000');

/** Builds a function that maps a key path to "line N" in a TOML text (case-insensitive keys). */
export function tomlLocator(text: string): (path: ConfigPath) => string | undefined {
  const lines = new Map<string, number>();
  const arrayCounts = new Map<string, number>();
  let table: (string | number)[] = [];
  let multiline: string | undefined;
  const mark = (path: (string | number)[], line: number) => {
    for (let n = 1; n <= path.length; n++) {
      const k = norm(path.slice(0, n));
      if (!lines.has(k)) lines.set(k, line);
    }
  };
  // A header like [a.b] inside [[a]] refers to the last element of the array of tables `a`.
  const withIndexes = (keys: string[]): (string | number)[] => {
    const out: (string | number)[] = [];
    for (const key of keys) {
      out.push(key);
      const count = arrayCounts.get(norm(out));
      if (count !== undefined) out.push(count - 1);
    }
    return out;
  };
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (multiline !== undefined) {
      if (raw.includes(multiline)) multiline = undefined;
      return;
    }
    let m = /^\s*\[\[([^\]]+)\]\]\s*(#.*)?$/.exec(raw);
    if (m) {
      const keys = parseTomlKey(m[1] as string);
      if (!keys) return;
      const parent = withIndexes(keys.slice(0, -1));
      const own = norm([...parent, keys[keys.length - 1] as string]);
      const count = (arrayCounts.get(own) ?? 0) + 1;
      arrayCounts.set(own, count);
      table = [...parent, keys[keys.length - 1] as string, count - 1];
      mark(table, line);
      return;
    }
    m = /^\s*\[([^\]]+)\]\s*(#.*)?$/.exec(raw);
    if (m) {
      const keys = parseTomlKey(m[1] as string);
      if (!keys) return;
      table = withIndexes(keys);
      mark(table, line);
      return;
    }
    const eq = /^\s*([^=#[][^=]*?)\s*=(.*)$/.exec(raw);
    if (!eq) return;
    const keys = parseTomlKey(eq[1] as string);
    if (!keys) return;
    mark([...table, ...keys], line);
    const value = (eq[2] as string).trim();
    for (const quote of ['"""', "'''"]) {
      if (value.startsWith(quote) && value.indexOf(quote, 3) < 0) multiline = quote;
    }
  });
  return (path) => {
    for (let n = path.length; n > 0; n--) {
      const line = lines.get(norm(path.slice(0, n)));
      if (line !== undefined) return `line ${line}`;
    }
    return undefined;
  };
}
