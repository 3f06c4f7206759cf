import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { headerWireValue } from '../../config/header-syntax.ts';
import type { HeadersOptions } from '../../config/middlewares/headers.ts';
import { requestState } from '../request-state.ts';
import { firstValue } from './cors.ts';

// The security half of Traefik's headers middleware (pkg/middlewares/headers/secure.go, which hands these
// options to github.com/unrolled/secure v1.0.9): the allowedHosts check, then the security response
// headers, computed per request and set over the backend's. The deprecated sslRedirect, sslTemporaryRedirect,
// sslHost, sslForceHost and featurePolicy are not handed over by Traefik v3, so they do nothing here either.

/** True when any security option is set (Traefik's HasSecureHeadersDefined). */
export function hasSecureOptions(o: HeadersOptions): boolean {
  return (
    (o.allowedHosts?.length ?? 0) > 0 ||
    (o.hostsProxyHeaders?.length ?? 0) > 0 ||
    o.sslRedirect === true ||
    o.sslTemporaryRedirect === true ||
    o.sslForceHost === true ||
    (o.sslHost !== undefined && o.sslHost !== '') ||
    Object.keys(o.sslProxyHeaders ?? {}).length > 0 ||
    o.stsSeconds !== undefined ||
    o.stsIncludeSubdomains === true ||
    o.stsPreload === true ||
    o.forceSTSHeader === true ||
    o.frameDeny === true ||
    !!o.customFrameOptionsValue ||
    o.contentTypeNosniff === true ||
    o.browserXssFilter === true ||
    !!o.customBrowserXSSValue ||
    !!o.contentSecurityPolicy ||
    !!o.contentSecurityPolicyReportOnly ||
    !!o.publicKey ||
    !!o.referrerPolicy ||
    !!o.featurePolicy ||
    !!o.permissionsPolicy ||
    o.isDevelopment === true
  );
}

/** The security part of a headers middleware. */
export interface Secure {
  /** Whether the request's host passes allowedHosts (always, without the option or in isDevelopment). */
  hostAllowed(req: IncomingMessage): boolean;
  /** The security response headers for this request (lower-case names, values ready to send). */
  responseHeaders(req: IncomingMessage): Array<[string, string]>;
}

const NONCE = '$NONCE';

/** A CSP value with each $NONCE replaced by the request's nonce (unrolled/secure's template). */
function withNonce(value: string, nonce: () => string): string {
  return value.includes(NONCE) ? value.replaceAll(NONCE, `'nonce-${nonce()}'`) : value;
}

/** Builds the security behaviour of the options. */
export function secure(o: HeadersOptions): Secure {
  const isDev = o.isDevelopment === true;
  const allowed = isDev ? [] : (o.allowedHosts ?? []).map((h) => h.toLowerCase());
  const hostHeaders = (o.hostsProxyHeaders ?? []).map((h) => h.toLowerCase());
  const sslHeaders = Object.entries(o.sslProxyHeaders ?? {}).map(([k, v]): [string, string] => [
    k.toLowerCase(),
    v,
  ]);
  const stsSeconds = o.stsSeconds ?? 0;
  const sts =
    stsSeconds !== 0 && !isDev
      ? `max-age=${stsSeconds}${o.stsIncludeSubdomains ? '; includeSubDomains' : ''}${o.stsPreload ? '; preload' : ''}`
      : undefined;
  const publicKey = o.publicKey && !isDev ? headerWireValue(o.publicKey) : undefined;
  const fixed: Array<[string, string]> = [];
  if (o.customFrameOptionsValue) fixed.push(['x-frame-options', o.customFrameOptionsValue]);
  else if (o.frameDeny) fixed.push(['x-frame-options', 'DENY']);
  if (o.contentTypeNosniff) fixed.push(['x-content-type-options', 'nosniff']);
  if (o.customBrowserXSSValue) fixed.push(['x-xss-protection', o.customBrowserXSSValue]);
  else if (o.browserXssFilter) fixed.push(['x-xss-protection', '1; mode=block']);
  if (o.referrerPolicy) fixed.push(['referrer-policy', o.referrerPolicy]);
  if (o.permissionsPolicy) fixed.push(['permissions-policy', o.permissionsPolicy]);
  const policies: Array<[string, string]> = [];
  if (o.contentSecurityPolicy) policies.push(['content-security-policy', o.contentSecurityPolicy]);
  if (o.contentSecurityPolicyReportOnly)
    policies.push(['content-security-policy-report-only', o.contentSecurityPolicyReportOnly]);
  const wire = (list: Array<[string, string]>) =>
    list.map(([k, v]): [string, string] => [k, headerWireValue(v)]);
  const fixedWire = wire(fixed);
  const policiesWire = wire(policies);

  /** HTTPS as unrolled/secure tells: TLS to the entryPoint, or an sslProxyHeaders header with its value. */
  const isHttps = (req: IncomingMessage): boolean => {
    if (requestState(req).scheme === 'https') return true;
    // Go's Header.Get gives "" for an absent header, so an empty expected value matches its absence.
    for (const [name, value] of sslHeaders) if (firstValue(req.headers[name]) === value) return true;
    return false;
  };

  return {
    hostAllowed(req) {
      if (allowed.length === 0) return true;
      let host = firstValue(req.headers.host);
      for (const name of hostHeaders) {
        const v = firstValue(req.headers[name]);
        if (v !== '') {
          host = v;
          break;
        }
      }
      return allowed.includes(host.toLowerCase());
    },
    responseHeaders(req) {
      const out = [...fixedWire];
      if (sts !== undefined || publicKey !== undefined) {
        const https = isHttps(req);
        if (sts !== undefined && (https || o.forceSTSHeader === true))
          out.push(['strict-transport-security', sts]);
        if (publicKey !== undefined && https) out.push(['public-key-pins', publicKey]);
      }
      if (policiesWire.length > 0) {
        let nonce: string | undefined;
        // One nonce per response, shared by both policies; 16 random bytes, base64 without padding.
        const next = () => {
          nonce ??= randomBytes(16).toString('base64').replace(/=+$/, '');
          return nonce;
        };
        for (const [k, v] of policiesWire) out.push([k, withNonce(v, next)]);
      }
      return out;
    },
  };
}
