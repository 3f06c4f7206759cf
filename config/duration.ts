import { z } from 'zod';

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;

/**
 * Parses a Traefik duration into milliseconds: Go syntax (`100ms`, `1m30s`, `2h`) or a bare number of
 * seconds (`10`, as Traefik reads unit-less values). Returns undefined when the text is not a duration.
 */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) ? input * 1000 : undefined;
  const text = input.trim();
  if (text === '') return undefined;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  let sign = 1;
  let rest = text;
  if (rest.startsWith('-')) {
    sign = -1;
    rest = rest.slice(1);
  }
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < rest.length) {
    const start = PART.lastIndex;
    const m = PART.exec(rest);
    if (!m || m.index !== start) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  return sign * total;
}

/** A duration option: `"10s"`, `"100ms"`, `"1m30s"` or a number of seconds; decoded to milliseconds. */
export const DurationSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is not a duration: write a number with a unit, e.g. "100ms", "10s", "1m30s", or a number of seconds`,
    });
    return z.NEVER;
  }
  return ms;
});

/** Formats milliseconds back into Traefik's duration syntax, for the API and logs. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
