import type { z } from 'zod';
import type { HeadersSchema } from '../../config/dynamic.ts';
import { headerWireValue } from '../../config/header-syntax.ts';
import type { Middleware } from '../middleware.ts';
import { requestState } from '../request-state.ts';
import { beforeResponseHead } from '../response-head.ts';

type HeadersOptions = z.infer<typeof HeadersSchema>;

/** The fixed response headers the security options ask for (HSTS is added per request: HTTPS only). */
function securityHeaders(o: HeadersOptions): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (o.customFrameOptionsValue) out.push(['x-frame-options', o.customFrameOptionsValue]);
  else if (o.frameDeny) out.push(['x-frame-options', 'DENY']);
  if (o.contentTypeNosniff) out.push(['x-content-type-options', 'nosniff']);
  if (o.browserXssFilter) out.push(['x-xss-protection', '1; mode=block']);
  if (o.contentSecurityPolicy) out.push(['content-security-policy', o.contentSecurityPolicy]);
  if (o.referrerPolicy) out.push(['referrer-policy', o.referrerPolicy]);
  if (o.permissionsPolicy) out.push(['permissions-policy', o.permissionsPolicy]);
  return out;
}

function stsValue(o: HeadersOptions): string | undefined {
  if (!o.stsSeconds) return undefined;
  return `max-age=${o.stsSeconds}${o.stsIncludeSubdomains ? '; includeSubDomains' : ''}${o.stsPreload ? '; preload' : ''}`;
}

/**
 * Sets custom request headers before the service and custom/security response headers on the way back
 * (an empty value removes the header), overriding what the backend sent, as Traefik does.
 */
export function headers(options: HeadersOptions): Middleware {
  const reqSet: Array<[string, string]> = [];
  const reqDel: string[] = [];
  for (const [k, v] of Object.entries(options.customRequestHeaders ?? {})) {
    if (v === '') reqDel.push(k.toLowerCase());
    else reqSet.push([k.toLowerCase(), headerWireValue(v)]);
  }
  // Names and values were checked at load; values go out as Go sends them (UTF-8 bytes, CR/LF as spaces).
  const resSet = securityHeaders(options).map(([k, v]): [string, string] => [k, headerWireValue(v)]);
  const resDel: string[] = [];
  for (const [k, v] of Object.entries(options.customResponseHeaders ?? {})) {
    if (v === '') resDel.push(k.toLowerCase());
    else resSet.push([k.toLowerCase(), headerWireValue(v)]);
  }
  const sts = stsValue(options);
  const forceSts = options.forceSTSHeader === true;

  return (next) => (req, res) => {
    for (const k of reqDel) delete req.headers[k];
    for (const [k, v] of reqSet) req.headers[k] = v;
    if (resSet.length > 0 || resDel.length > 0 || sts !== undefined) {
      const addSts = sts !== undefined && (forceSts || requestState(req).scheme === 'https');
      beforeResponseHead(res, (r) => {
        for (const k of resDel) r.removeHeader(k);
        for (const [k, v] of resSet) r.setHeader(k, v);
        if (addSts) r.setHeader('strict-transport-security', sts as string);
      });
    }
    return next(req, res);
  };
}
