import { constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureVersion } from 'node:tls';
import type { TlsOptions } from '../../config/dynamic.ts';
import type { ReadFile } from './certificates.ts';
import { type CompiledClientAuth, compileClientAuth } from './client-auth.ts';

/** TLS options ready for node:tls: one `tls.options.<name>` entry, or the built-in default. */
export interface CompiledTlsOptions {
  /** The options' name (`default`, or `name@provider`). */
  readonly name: string;
  /** Identifies equal settings: connections with equal keys can share a TLS server. */
  readonly key: string;
  /** Options for tls.createSecureContext (without the certificate). */
  readonly secure: {
    readonly minVersion: SecureVersion;
    readonly maxVersion: SecureVersion;
    readonly ciphers?: string;
    readonly ecdhCurve?: string;
    /** OpenSSL options: SSL_OP_NO_TICKET for `disableSessionTickets`. */
    readonly secureOptions?: number;
  };
  /** ALPN protocols offered, in the server's order of preference. */
  readonly alpn: readonly string[];
  /** Refuse connections whose server name no certificate serves. */
  readonly sniStrict: boolean;
  /** Client certificate authentication (`clientAuth`). */
  readonly clientAuth: CompiledClientAuth;
}

const VERSIONS: Record<string, SecureVersion> = {
  VersionTLS10: 'TLSv1',
  VersionTLS11: 'TLSv1.1',
  VersionTLS12: 'TLSv1.2',
  VersionTLS13: 'TLSv1.3',
};
const ORDER: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Go's cipher suite names (what Traefik reads) to OpenSSL's, for TLS 1.0-1.2. */
const CIPHERS: Record<string, string> = {
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: 'DES-CBC3-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: 'ECDHE-RSA-DES-CBC3-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
};
/** TLS 1.3 suites: like Go, Wharf always enables them; listing them changes nothing. */
const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

/** Go's curve names to OpenSSL's group names. */
const CURVES: Record<string, string> = {
  CurveP256: 'P-256',
  CurveP384: 'P-384',
  CurveP521: 'P-521',
  X25519: 'X25519',
  X25519MLKEM768: 'X25519MLKEM768',
};

/** The ALPN protocols Wharf serves; `acme-tls/1` is accepted and left out until ACME lands. */
const SERVED_ALPN = new Set(['h2', 'http/1.1']);
const KNOWN_ALPN = new Set([...SERVED_ALPN, 'acme-tls/1']);

/** Traefik's default options: TLS 1.2 and up, h2 then http/1.1 by ALPN, no strict SNI. */
export const DEFAULT_TLS_OPTIONS: TlsOptions = {
  minVersion: 'VersionTLS12',
  alpnProtocols: ['h2', 'http/1.1', 'acme-tls/1'],
};

/**
 * Compiles one `tls.options` entry (Traefik's names: `VersionTLS12`, `TLS_ECDHE_..._GCM_SHA256`, `CurveP256`)
 * to node:tls settings, checking them by building a secure context once. Returns the options, or the problems
 * (each a sentence naming the key), so the option is left out with every reason at once. Reads the
 * `clientAuth.caFiles` with `readFile`.
 */
export function compileTlsOptions(
  name: string,
  options: TlsOptions,
  readFile: ReadFile = readFileSync,
): { ok: true; options: CompiledTlsOptions } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const version = (key: 'minVersion' | 'maxVersion', fallback: SecureVersion): SecureVersion => {
    const v = options[key];
    if (v === undefined || v === '') return fallback;
    const mapped = VERSIONS[v];
    if (!mapped) problems.push(`${key} "${v}" is not one of ${Object.keys(VERSIONS).join(', ')}`);
    return mapped ?? fallback;
  };
  const minVersion = version('minVersion', 'TLSv1.2');
  const maxVersion = version('maxVersion', 'TLSv1.3');
  if (ORDER.indexOf(minVersion) > ORDER.indexOf(maxVersion))
    problems.push(`minVersion ${options.minVersion} is above maxVersion ${options.maxVersion}`);

  let ciphers: string | undefined;
  if (options.cipherSuites && options.cipherSuites.length > 0) {
    const tls12: string[] = [];
    for (const suite of options.cipherSuites) {
      const mapped = CIPHERS[suite];
      if (mapped) tls12.push(mapped);
      else if (!TLS13_SUITES.includes(suite))
        problems.push(
          `cipherSuites: "${suite}" is not a cipher suite name Wharf knows (Go's names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)`,
        );
    }
    // Node turns TLS 1.3 off when the list names no TLS 1.3 suite; Go keeps them all on.
    ciphers = [...tls12, ...TLS13_SUITES].join(':');
  }
  let ecdhCurve: string | undefined;
  if (options.curvePreferences && options.curvePreferences.length > 0) {
    const curves: string[] = [];
    for (const curve of options.curvePreferences) {
      const mapped = CURVES[curve];
      if (mapped) curves.push(mapped);
      else problems.push(`curvePreferences: "${curve}" is not one of ${Object.keys(CURVES).join(', ')}`);
    }
    ecdhCurve = curves.join(':');
  }
  const requested = options.alpnProtocols ?? DEFAULT_TLS_OPTIONS.alpnProtocols ?? [];
  for (const p of requested)
    if (!KNOWN_ALPN.has(p))
      problems.push(`alpnProtocols: "${p}" is not a protocol Wharf serves (h2, http/1.1, acme-tls/1)`);
  const alpn = requested.filter((p) => SERVED_ALPN.has(p));
  const auth = compileClientAuth(options.clientAuth, readFile);
  if (!auth.ok) problems.push(...auth.problems);
  const clientAuth = auth.ok ? auth.clientAuth : undefined;

  const secure = {
    minVersion,
    maxVersion,
    ...(ciphers !== undefined ? { ciphers } : {}),
    ...(ecdhCurve !== undefined ? { ecdhCurve } : {}),
    // Go's SessionTicketsDisabled: no resumption by ticket. On the server's own context too, where OpenSSL
    // takes the option from (a context picked by SNI does not change it).
    ...(options.disableSessionTickets ? { secureOptions: constants.SSL_OP_NO_TICKET } : {}),
  };
  if (problems.length === 0) {
    try {
      createSecureContext({ ...secure, ...(clientAuth?.ca ? { ca: clientAuth.ca } : {}) });
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length > 0 || !clientAuth) return { ok: false, problems };
  const sniStrict = options.sniStrict === true;
  const key = JSON.stringify([secure, alpn, sniStrict, clientAuth.type, clientAuth.caId ?? '']);
  return { ok: true, options: { name, key, secure, alpn, sniStrict, clientAuth } };
}
