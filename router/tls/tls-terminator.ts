import type { Socket } from 'node:net';
import { createSecureContext, createServer, type SecureContext, type Server, type TLSSocket } from 'node:tls';
import type { Logger } from '../../core/log.ts';
import { normalizeIp } from '../../core/rules/match-request.ts';
import type { TlsRuntime } from '../compile/compile.ts';
import { DEFAULT_OPTIONS, type TlsState } from './build-tls.ts';
import type { LoadedCertificate } from './certificates.ts';
import { clientAuthServerOptions, clientCertRefusal } from './client-auth.ts';
import { normalizeServerName, optionsForServerName } from './host-options.ts';
import { type CompiledTlsOptions, compileTlsOptions, DEFAULT_TLS_OPTIONS } from './options.ts';

/** What a terminator needs: the entryPoint, the serving generation's TLS side, and where secure sockets go. */
export interface TlsTerminatorOptions {
  readonly entryPoint: string;
  /** The TLS side of the generation in service; read once per connection. */
  readonly current: () => TlsRuntime | undefined;
  /** Longest time a TLS handshake may take (0: Node's default, 120 s). */
  readonly handshakeTimeoutMs: number;
  /** Receives each socket whose handshake completed (its ALPN protocol says HTTP/2 or HTTP/1.1). */
  readonly onSecure: (socket: TLSSocket) => void;
  /**
   * Takes a connection whose ClientHello offers `acme-tls/1` (an ACME TLS-ALPN-01 validation) when a
   * certificate resolver answers it; returns false to serve the connection normally.
   */
  readonly acmeTlsAlpn?: (raw: Socket, serverName: string | undefined) => boolean;
  readonly logger: Logger;
}

/** The ALPN protocol of ACME's TLS-ALPN-01 challenge (RFC 8737). */
const ACME_TLS_ALPN = 'acme-tls/1';

/** A fatal `unrecognized_name` alert (TLS record: alert, TLS 1.2, length 2, fatal, 112). */
const UNRECOGNIZED_NAME_ALERT = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x70]);

const caOf = (options: CompiledTlsOptions) => (options.clientAuth.ca ? { ca: options.clientAuth.ca } : {});

const builtIn = compileTlsOptions(DEFAULT_OPTIONS, DEFAULT_TLS_OPTIONS);
if (!builtIn.ok) throw new Error(`built-in TLS options are invalid: ${builtIn.problems.join('; ')}`);
const BUILT_IN_OPTIONS = builtIn.options;

/**
 * Terminates TLS for one entryPoint, with the certificates and options of the generation in service when
 * the connection arrives, so a reload changes them for new connections and never touches open ones.
 *
 * Node applies TLS versions and ciphers per server, not per SNI certificate, while Traefik picks options by
 * server name: so the SNI name read from the ClientHello picks the options first (those of the routers whose
 * Host is that name, else `default`), and the connection goes to a TLS server built for those options (one
 * per options and fallback certificate, made on first use). OpenSSL's SNI callback then picks the
 * certificate: exact name, then one-label wildcard, then the default certificate; a client without SNI gets
 * the certificate for the local IP address, if one names it, as in Traefik.
 */
export class TlsTerminator {
  readonly #o: TlsTerminatorOptions;
  readonly #servers = new Map<string, Server>();
  readonly #contexts = new Map<string, SecureContext>();
  #state: TlsState | undefined;

  constructor(options: TlsTerminatorOptions) {
    this.#o = options;
  }

  /**
   * Takes over a raw connection whose first record (still buffered in it) is a ClientHello for `serverName`
   * offering the `alpn` protocols. ACME validations (`acme-tls/1`) go to the resolver's challenge server
   * before any options or certificates are chosen: that is the ALPN routing Node's servers cannot do alone.
   */
  accept(raw: Socket, serverName: string | undefined, alpn?: readonly string[]): void {
    if (alpn?.includes(ACME_TLS_ALPN) && this.#o.acmeTlsAlpn?.(raw, serverName)) return;
    const rt = this.#o.current();
    if (!rt) {
      raw.destroy();
      return;
    }
    this.#prune(rt.state);
    const name = optionsForServerName(rt.hostOptions, this.#o.entryPoint, serverName);
    const options = rt.state.options.get(name) ?? BUILT_IN_OPTIONS;
    const store = rt.state.store;
    const local = serverName ? undefined : store.match(normalizeIp(raw.localAddress ?? ''));
    const matched = serverName ? store.match(serverName) : local;
    if (options.sniStrict && !matched) {
      this.#o.logger.debug(
        { entryPoint: this.#o.entryPoint, serverName: serverName ?? '', options: options.name },
        'TLS connection refused: sniStrict and no certificate serves the server name',
      );
      raw.end(UNRECOGNIZED_NAME_ALERT);
      raw.destroySoon();
      return;
    }
    const fallback = local ?? store.defaultCertificate;
    if (!fallback) {
      raw.destroy();
      return;
    }
    this.#server(options, fallback).emit('connection', raw);
  }

  /** Forgets servers and contexts built for options or certificates the new generation no longer has. */
  #prune(state: TlsState): void {
    if (state === this.#state) return;
    this.#state = state;
    const certs = new Set(state.store.certificates.map((c) => c.id));
    if (state.store.defaultCertificate) certs.add(state.store.defaultCertificate.id);
    const options = new Set([...state.options.values(), BUILT_IN_OPTIONS].map((o) => o.key));
    const live = (key: string) => {
      const bar = key.lastIndexOf('|');
      return options.has(key.slice(0, bar)) && certs.has(key.slice(bar + 1));
    };
    for (const key of this.#servers.keys()) if (!live(key)) this.#servers.delete(key);
    for (const key of this.#contexts.keys()) if (!live(key)) this.#contexts.delete(key);
  }

  #context(options: CompiledTlsOptions, cert: LoadedCertificate): SecureContext {
    const key = `${options.key}|${cert.id}`;
    let ctx = this.#contexts.get(key);
    if (!ctx) {
      // The CAs go into every context: OpenSSL verifies the client with the store of the context the SNI
      // callback picked, not the server's.
      ctx = createSecureContext({ ...options.secure, ...caOf(options), cert: cert.cert, key: cert.key });
      this.#contexts.set(key, ctx);
    }
    return ctx;
  }

  #server(options: CompiledTlsOptions, fallback: LoadedCertificate): Server {
    const key = `${options.key}|${fallback.id}`;
    const existing = this.#servers.get(key);
    if (existing) return existing;
    const server = createServer({
      ...options.secure,
      ...caOf(options),
      ...clientAuthServerOptions(options.clientAuth.type),
      cert: fallback.cert,
      key: fallback.key,
      ALPNProtocols: [...options.alpn],
      ...(this.#o.handshakeTimeoutMs > 0 ? { handshakeTimeout: this.#o.handshakeTimeoutMs } : {}),
      SNICallback: (serverName, cb) => {
        // The serving generation's certificates; the options were fixed when the connection arrived, from
        // the name in its first record. A ClientHello split over several records hides the name there:
        // the options the real name needs must be those the connection got, or the handshake fails.
        const rt = this.#o.current();
        const name = normalizeServerName(serverName);
        const needed = rt && optionsForServerName(rt.hostOptions, this.#o.entryPoint, name);
        if (needed && (rt.state.options.get(needed) ?? BUILT_IN_OPTIONS).key !== options.key) {
          cb(
            new Error(`server name ${name} needs other TLS options than the connection was given`),
            undefined,
          );
          return;
        }
        const store = rt?.state.store;
        const matched = store?.match(name);
        if (options.sniStrict && !matched) {
          cb(new Error(`sniStrict: no certificate for ${name}`), undefined);
          return;
        }
        const cert = matched ?? store?.defaultCertificate ?? fallback;
        try {
          cb(null, this.#context(options, cert));
        } catch (err) {
          cb(err as Error, undefined);
        }
      },
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      // Go's servers never renegotiate; in Node a TLS 1.2 client could renegotiate and present another
      // certificate after this check.
      socket.disableRenegotiation();
      const refusal = clientCertRefusal(options.clientAuth.type, socket);
      if (refusal === undefined) {
        this.#o.onSecure(socket);
        return;
      }
      // Node cannot fail the handshake for these types; the connection ends before any request is read.
      this.#o.logger.debug(
        { entryPoint: this.#o.entryPoint, options: options.name, client: socket.remoteAddress, refusal },
        'TLS connection refused: client certificate',
      );
      socket.destroy();
    });
    server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      this.#o.logger.debug(
        { entryPoint: this.#o.entryPoint, err: err.message, client: socket.remoteAddress },
        'TLS handshake failed',
      );
      socket.destroy();
    });
    this.#servers.set(key, server);
    return server;
  }
}
