import type { AccessLogConfig } from '../../config/static/access-log.ts';

/** Whether a finished request gets a line: its status, its retries and its duration in nanoseconds. */
export type LineFilter = (status: number, retryAttempts: number, durationNs: number) => boolean;

/** `"404"` or `"500-599"` as [low, high] (the schema has checked the syntax). */
export function parseStatusRange(text: string): [number, number] {
  const dash = text.indexOf('-');
  return dash === -1
    ? [Number(text), Number(text)]
    : [Number(text.slice(0, dash)), Number(text.slice(dash + 1))];
}

/**
 * Traefik's keepAccessLog: a line is written when its status is in one of `statusCodes`, or it was
 * retried and `retryAttempts` is on, or it took longer than `minDuration`. Filters that set none of these
 * keep every line (undefined: no filter to run).
 */
export function compileFilters(filters: NonNullable<AccessLogConfig['filters']>): LineFilter | undefined {
  const ranges = (filters.statusCodes ?? []).map(parseStatusRange);
  const retries = filters.retryAttempts;
  const minNs = filters.minDuration * 1e6;
  if (ranges.length === 0 && !retries && minNs <= 0) return undefined;
  return (status, retryAttempts, durationNs) => {
    for (const [low, high] of ranges) if (status >= low && status <= high) return true;
    if (retries && retryAttempts > 0) return true;
    return minNs > 0 && durationNs > minNs;
  };
}
