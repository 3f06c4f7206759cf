import { compileLinearRegexp, type LinearRegexp } from '../core/regexp/linear-regexp.ts';

/**
 * Compiles a middleware option's Go regexp; throws (so the middleware is left out with MIDDLEWARE_INVALID)
 * with a message naming the option and the pattern when RE2 refuses it, never matching differently.
 */
export function operatorRegexp(option: string, source: string): LinearRegexp {
  const r = compileLinearRegexp(source);
  if (!r.ok) throw new Error(`${option} "${source}" is not a valid Go regular expression: ${r.problem}`);
  return r.regexp;
}
