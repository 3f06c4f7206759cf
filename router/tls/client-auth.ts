import { createHash, X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { CLIENT_AUTH_TYPES, type ClientAuth } from '../../config/tls-client-auth.ts';
import type { ReadFile } from './certificates.ts';

/** One of Traefik's (Go's) client authentication types. */
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

/** Client certificate authentication ready for node:tls. */
export interface CompiledClientAuth {
  readonly type: ClientAuthType;
  /** The CA certificates (PEM) client certificates are verified against; absent without caFiles. */
  readonly ca?: string;
  /** Digest of `ca`: options with equal CAs share TLS servers. */
  readonly caId?: string;
}

/** node:tls server settings for a client authentication type (the rest is checked after the handshake). */
export interface ClientAuthServerOptions {
  readonly requestCert: boolean;
  readonly rejectUnauthorized: boolean;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const isPem = (value: string) => value.includes('-----BEGIN');
const shown = (value: string) => (isPem(value) ? '(inline PEM)' : value);

/**
 * Compiles `clientAuth` as Traefik does: each caFiles entry is a file or the PEM text itself and must hold at
 * least one certificate; with caFiles and no type the type is RequireAndVerifyClientCert; the two verifying
 * types need caFiles. Returns the settings, or problems each naming the key (and the file).
 */
export function compileClientAuth(
  clientAuth: ClientAuth | undefined,
  readFile: ReadFile,
): { ok: true; clientAuth: CompiledClientAuth } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const pems: string[] = [];
  for (const entry of clientAuth?.caFiles ?? []) {
    let text: string;
    try {
      text = isPem(entry) ? entry : readFile(entry).toString('utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      problems.push(`clientAuth.caFiles: cannot read ${entry}: ${e.code ?? e.message}`);
      continue;
    }
    // Like Go's AppendCertsFromPEM: blocks that do not parse are skipped; none at all is an error.
    const certs = (text.match(PEM_BLOCK) ?? []).filter((block) => {
      try {
        new X509Certificate(block);
        return true;
      } catch {
        return false;
      }
    });
    if (certs.length === 0) problems.push(`clientAuth.caFiles: ${shown(entry)} holds no PEM certificate`);
    pems.push(...certs);
  }
  const written = clientAuth?.clientAuthType ?? '';
  let type: ClientAuthType = pems.length > 0 ? 'RequireAndVerifyClientCert' : 'NoClientCert';
  if (written !== '') {
    const known = CLIENT_AUTH_TYPES.find((t) => t === written);
    if (!known)
      problems.push(`clientAuth.clientAuthType "${written}" is not one of ${CLIENT_AUTH_TYPES.join(', ')}`);
    else type = known;
  }
  const caMissing = (clientAuth?.caFiles ?? []).length === 0;
  if (caMissing && (type === 'VerifyClientCertIfGiven' || type === 'RequireAndVerifyClientCert'))
    problems.push(`clientAuth.clientAuthType ${type} needs clientAuth.caFiles (the CAs to verify against)`);
  if (problems.length > 0) return { ok: false, problems };
  if (pems.length === 0) return { ok: true, clientAuth: { type } };
  const ca = `${pems.join('\n')}\n`;
  const caId = createHash('sha256').update(ca).digest('hex').slice(0, 16);
  return { ok: true, clientAuth: { type, ca, caId } };
}

/**
 * How Node's server asks for certificates: OpenSSL's "fail if no peer certificate" (a TLS alert) comes only
 * with rejectUnauthorized, which also refuses unverified certificates, so only RequireAndVerifyClientCert
 * uses it; RequireAnyClientCert and VerifyClientCertIfGiven are checked by `clientCertRefusal`.
 */
export function clientAuthServerOptions(type: ClientAuthType): ClientAuthServerOptions {
  return {
    requestCert: type !== 'NoClientCert',
    rejectUnauthorized: type === 'RequireAndVerifyClientCert',
  };
}

/**
 * Why a connection whose handshake completed must be closed under `type`, or undefined to serve it:
 * RequireAnyClientCert needs a certificate (any); VerifyClientCertIfGiven needs one that verified, if any
 * was sent. (RequireAndVerifyClientCert is enforced by Node before the connection is handed over.)
 */
export function clientCertRefusal(
  type: ClientAuthType,
  socket: Pick<TLSSocket, 'getPeerX509Certificate' | 'authorized' | 'authorizationError'>,
): string | undefined {
  if (type !== 'RequireAnyClientCert' && type !== 'VerifyClientCertIfGiven') return undefined;
  const cert = socket.getPeerX509Certificate();
  if (type === 'RequireAnyClientCert') return cert ? undefined : 'no client certificate';
  if (cert && !socket.authorized)
    return `client certificate not verified: ${String(socket.authorizationError ?? 'unknown reason')}`;
  return undefined;
}
