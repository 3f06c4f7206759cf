/**
 * Formats whole nanoseconds as Go's `time.Duration.String` does (`1.5s`, `333.333333ms`, `2m0s`,
 * `1h0m0s`, `0s`), for headers Traefik fills that way (rateLimit's X-Retry-In).
 */
export function goDurationString(ns: number): string {
  let n = Math.trunc(ns);
  if (n === 0) return '0s';
  const sign = n < 0 ? '-' : '';
  n = Math.abs(n);
  if (n < 1e3) return `${sign}${n}ns`;
  if (n < 1e6) return `${sign}${fraction(n, 3)}µs`;
  if (n < 1e9) return `${sign}${fraction(n, 6)}ms`;
  const seconds = n % 60e9;
  const minutes = Math.floor(n / 60e9);
  const secondsText = `${fraction(seconds, 9)}s`;
  if (minutes === 0) return `${sign}${secondsText}`;
  const hours = Math.floor(minutes / 60);
  const rest = `${minutes % 60}m${secondsText}`;
  return hours === 0 ? `${sign}${rest}` : `${sign}${hours}h${rest}`;
}

/** `value / 10^digits` with the fraction's trailing zeros (and a bare point) removed. */
function fraction(value: number, digits: number): string {
  const scale = 10 ** digits;
  const whole = Math.floor(value / scale);
  const frac = (value % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  return frac === '' ? `${whole}` : `${whole}.${frac}`;
}
