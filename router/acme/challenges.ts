import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createSecureContext, createServer, type SecureContext, type Server, type TLSSocket } from 'node:tls';
import type { Logger } from '../../core/log.ts';
import type { ChallengeType } from './storage.ts';

/** Finds a pending challenge response: in this router's memory first, then in the shared storage. */
export type ChallengeLookup = (type: ChallengeType, id: string) => Promise<string | undefined>;

const PREFIX = '/.well-known/acme-challenge/';

/**
 * Answers HTTP-01 challenges on the challenge entryPoint, as Traefik's internal ACME router does: a GET for
 * `/.well-known/acme-challenge/<token>` gets the key authorization as text when a resolver (or, with
 * Consul storage, any replica) published it, else 404. Other paths go on to the routers (false).
 */
export function acmeHttpHandler(lookup: ChallengeLookup, logger: Logger) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url ?? '';
    if (!url.startsWith(PREFIX)) return false;
    const token = url.slice(PREFIX.length).split('?')[0] ?? '';
    const reply = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(body);
    };
    if (!/^[A-Za-z0-9_-]+$/.test(token) || (req.method !== 'GET' && req.method !== 'HEAD')) {
      reply(404, '404 page not found\n');
      return true;
    }
    lookup('http-01', token).then(
      (keyAuthorization) => {
        if (keyAuthorization === undefined) {
          logger.debug({ token, host: req.headers.host }, 'ACME HTTP-01 challenge: unknown token');
          reply(404, '404 page not found\n');
        } else {
          logger.debug({ token, host: req.headers.host }, 'ACME HTTP-01 challenge answered');
          reply(200, keyAuthorization);
        }
      },
      (err: unknown) => {
        logger.error({ err, token }, 'ACME HTTP-01 challenge: cannot read the challenge storage');
        reply(500, '500 challenge storage unavailable\n');
      },
    );
    return true;
  };
}

/**
 * Answers TLS-ALPN-01 validations (RFC 8737): a connection whose ClientHello offers `acme-tls/1` is handed
 * here before any certificate or TLS option is chosen (router/tls/tls-terminator.ts), and gets a TLS server
 * that offers only `acme-tls/1` and presents the challenge certificate for the server name (the one with the
 * acmeIdentifier extension), looked up in memory or in the shared storage. Without a pending challenge for
 * that name the handshake fails, as it does on Traefik.
 */
export class TlsAlpnResponder {
  readonly #server: Server;
  readonly #logger: Logger;

  constructor(lookup: ChallengeLookup, logger: Logger) {
    this.#logger = logger;
    this.#server = createServer({
      ALPNProtocols: ['acme-tls/1'],
      SNICallback: (serverName, cb) => {
        const name = serverName.toLowerCase();
        lookup('tls-alpn-01', name).then(
          (value) => {
            if (value === undefined) {
              cb(new Error(`no pending TLS-ALPN-01 challenge for ${name}`), undefined);
              return;
            }
            let ctx: SecureContext;
            try {
              const { cert, key } = JSON.parse(value) as { cert: string; key: string };
              ctx = createSecureContext({ cert, key });
            } catch (err) {
              cb(err as Error, undefined);
              return;
            }
            logger.debug({ serverName: name }, 'ACME TLS-ALPN-01 challenge answered');
            cb(null, ctx);
          },
          (err: unknown) => cb(err as Error, undefined),
        );
      },
    });
    // The validator closes the connection after the handshake; there is nothing to serve.
    this.#server.on('secureConnection', (socket: TLSSocket) => socket.end());
    this.#server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      this.#logger.debug({ err: err.message }, 'ACME TLS-ALPN-01 handshake failed');
      socket.destroy();
    });
  }

  /** Takes a raw connection (its ClientHello still buffered in it); true: it is handled here. */
  accept(raw: Socket, serverName: string | undefined): boolean {
    if (!serverName) return false;
    this.#server.emit('connection', raw);
    return true;
  }
}
