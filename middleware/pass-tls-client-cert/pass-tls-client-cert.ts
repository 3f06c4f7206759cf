import type { TLSSocket } from 'node:tls';
import type { PassTlsClientCert } from '../../config/middlewares/pass-tls-client-cert.ts';
import type { Logger } from '../../core/log.ts';
import type { Middleware, MiddlewareDefinition } from '../middleware.ts';
import { certificateFields } from './certificate-fields.ts';
import { formatInfoHeader, formatPemHeader } from './client-cert-headers.ts';

/** Header carrying the client certificate (Traefik's name). */
export const CLIENT_CERT_HEADER = 'x-forwarded-tls-client-cert';
/** Header carrying the selected certificate fields (Traefik's name). */
export const CLIENT_CERT_INFO_HEADER = 'x-forwarded-tls-client-cert-info';

/** What a request's socket must offer for its client certificate to be read (a TLSSocket does). */
type PeerSocket = Partial<Pick<TLSSocket, 'encrypted' | 'getPeerX509Certificate'>>;

/**
 * The certificates the client presented, leaf first, as DER. Node gives a server only the leaf (not the
 * intermediates a client sends), so that is what is passed; a request without mutual TLS has none.
 */
function peerCertificates(socket: PeerSocket): Buffer[] {
  if (socket.encrypted !== true || typeof socket.getPeerX509Certificate !== 'function') return [];
  const leaf = socket.getPeerX509Certificate();
  return leaf ? [leaf.raw] : [];
}

/**
 * passTLSClientCert: sets X-Forwarded-Tls-Client-Cert (`pem`) and X-Forwarded-Tls-Client-Cert-Info (`info`)
 * from the client certificate of the connection, as Traefik does; requests without one pass unchanged
 * (the entryPoint already removed these headers when an untrusted client sent them). The values are
 * computed once per connection and each middleware instance.
 */
export function passTlsClientCert(options: PassTlsClientCert, logger?: Logger): Middleware {
  const { pem, info } = options;
  const byConnection = new WeakMap<object, { pem?: string; info?: string } | null>();
  const headersFor = (socket: PeerSocket) => {
    let cached = byConnection.get(socket);
    if (cached === undefined) {
      const ders = peerCertificates(socket);
      cached = ders.length === 0 ? null : { ...(pem ? { pem: formatPemHeader(ders) } : {}) };
      if (cached && info) {
        // OpenSSL accepted the certificate, so it is DER; a field this reader cannot decode (a string type
        // Go refuses too) leaves the info header out rather than failing the request.
        try {
          cached.info = formatInfoHeader(ders.map(certificateFields), info);
        } catch (err) {
          logger?.debug(
            { err: (err as Error).message },
            'passTLSClientCert: client certificate fields unreadable',
          );
        }
      }
      byConnection.set(socket, cached);
    }
    return cached;
  };
  return (next) => (req, res) => {
    if (pem || info) {
      const headers = headersFor(req.socket as PeerSocket);
      if (headers?.pem !== undefined) req.headers[CLIENT_CERT_HEADER] = headers.pem;
      if (headers?.info !== undefined) req.headers[CLIENT_CERT_INFO_HEADER] = headers.info;
    }
    return next(req, res);
  };
}

/** The registry's definition: no state to release; the logger reports unreadable certificate fields. */
export const passTlsClientCertDefinition: MiddlewareDefinition<PassTlsClientCert> = {
  create: (options, ctx) => ({ wrap: passTlsClientCert(options, ctx.logger) }),
};
