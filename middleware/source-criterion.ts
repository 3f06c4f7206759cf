import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import type { SourceCriterionSchema } from '../config/middlewares/source-criterion.ts';
import { clientIpOf, compileIpStrategy } from './ip-strategy.ts';

/** The `sourceCriterion` options of rateLimit and inFlightReq. */
export type SourceCriterionOptions = z.infer<typeof SourceCriterionSchema>;

/** Which criterion groups the requests. */
export type SourceCriterionKind = 'ipStrategy' | 'requestHeaderName' | 'requestHost';

/** A compiled criterion: the source of a request (any string, '' included, is a source). */
export interface CompiledSourceCriterion {
  readonly kind: SourceCriterionKind;
  readonly source: (req: IncomingMessage) => string;
  /** ipStrategy options the chosen strategy does not use, as sentences (to log once). */
  readonly ignored: readonly string[];
}

/**
 * Compiles `sourceCriterion` as Traefik's `GetSourceExtractor` does (pkg/middlewares/extractor.go):
 * - at most one of ipStrategy (present, even empty), requestHeaderName (non-empty) and requestHost (true),
 *   else it throws naming both;
 * - none of them: `fallback` (rateLimit: ipStrategy, the peer address; inFlightReq: requestHost);
 * - requestHeaderName: the header's first value, '' when the request has none, so every request without
 *   the header shares one source (oxy's `Header.Get`);
 * - requestHost: the Host header as sent (port included), as Go's `req.Host`;
 * - ipStrategy: middleware/ip-strategy.ts; '' when the strategy finds no address, again one shared source.
 */
export function compileSourceCriterion(
  options: SourceCriterionOptions | undefined,
  fallback: 'ipStrategy' | 'requestHost',
): CompiledSourceCriterion {
  const ip = options?.ipStrategy !== undefined;
  const header = options?.requestHeaderName ?? '';
  const host = options?.requestHost === true;
  if (ip && header !== '')
    throw new Error('sourceCriterion: ipStrategy and requestHeaderName are mutually exclusive: keep one');
  if (ip && host)
    throw new Error('sourceCriterion: ipStrategy and requestHost are mutually exclusive: keep one');
  if (header !== '' && host)
    throw new Error('sourceCriterion: requestHost and requestHeaderName are mutually exclusive: keep one');
  if (header !== '')
    return { kind: 'requestHeaderName', source: headerSource(header.toLowerCase()), ignored: [] };
  if (host || (!ip && fallback === 'requestHost'))
    return { kind: 'requestHost', source: hostSource, ignored: [] };
  const strategy = compileIpStrategy(options?.ipStrategy);
  const select = strategy.select;
  return { kind: 'ipStrategy', source: (req) => clientIpOf(select, req), ignored: strategy.ignored };
}

function hostSource(req: IncomingMessage): string {
  return req.headers.host ?? (req.headers[':authority'] as string | undefined) ?? '';
}

/** Go's `Header.Get`: the first value. Node joins repeated lines with ", ", so a comma means a second look. */
function headerSource(name: string): (req: IncomingMessage) => string {
  return (req) => {
    const value = req.headers[name];
    if (value === undefined) return '';
    if (Array.isArray(value)) return value[0] ?? '';
    if (value.indexOf(',') === -1) return value;
    return req.headersDistinct[name]?.[0] ?? value;
  };
}
