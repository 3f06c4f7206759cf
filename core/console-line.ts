// Traefik's `common` log format is zerolog's ConsoleWriter: `<RFC 3339 time> <LVL> <message> <fields>`,
// fields sorted by name with `error` first, coloured with ANSI escapes unless told not to.

/** zerolog's three-letter levels, by pino's level label. */
const LEVELS: Record<string, { tag: string; color: number }> = {
  trace: { tag: 'TRC', color: 34 },
  debug: { tag: 'DBG', color: 0 },
  info: { tag: 'INF', color: 32 },
  warn: { tag: 'WRN', color: 33 },
  error: { tag: 'ERR', color: 31 },
  fatal: { tag: 'FTL', color: 31 },
};
const DARK_GRAY = 90;
const CYAN = 36;
const RED = 31;
const BOLD = 1;

const colorize = (text: string, code: number, on: boolean) =>
  on && code !== 0 ? `\x1b[${code}m${text}\x1b[0m` : text;
const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

/** Go's time.RFC3339 in local time: 2006-01-02T15:04:05Z07:00 ("Z" when the offset is zero). */
export function rfc3339(d: Date): string {
  const off = -d.getTimezoneOffset();
  const zone =
    off === 0
      ? 'Z'
      : `${off > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${zone}`;
}

/** A field value as zerolog prints it: strings quoted (Go syntax) only when they need it, the rest as JSON. */
function fieldValue(v: unknown): string {
  if (typeof v === 'string') {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what needs quoting
    return /[\x00-\x20"\\\x7f]/.test(v) ? JSON.stringify(v) : v;
  }
  return JSON.stringify(v) ?? String(v);
}

/** Turns a pino JSON line into a Traefik console line; a line that is not JSON passes unchanged. */
export function consoleLine(line: string, color: boolean, now = new Date()): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { level, msg, ...rest } = o;
  const lv = LEVELS[String(level)] ?? { tag: '???', color: 0 };
  const names = Object.keys(rest).sort();
  const errorAt = names.indexOf('error');
  if (errorAt > 0) names.unshift(...names.splice(errorAt, 1));
  let out = `${colorize(rfc3339(now), DARK_GRAY, color)} ${colorize(lv.tag, lv.color, color)}`;
  if (msg !== undefined && msg !== '') out += ` ${String(msg)}`;
  for (const name of names) {
    const value = fieldValue(rest[name]);
    const isError = name === 'error' || name === 'err';
    out += ` ${colorize(`${name}=`, CYAN, color)}${isError ? colorize(colorize(value, BOLD, color), RED, color) : value}`;
  }
  return `${out}\n`;
}
