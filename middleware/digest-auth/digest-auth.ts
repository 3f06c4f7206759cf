import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { DigestAuth } from '../../config/middlewares/digest-auth.ts';
import { forwardAuthenticated, quotedString, sendUnauthorized } from '../auth/challenge.ts';
import { digestUser } from '../auth/users.ts';
import { watchUsers } from '../auth/watched-users.ts';
import type { MiddlewareDefinition } from '../middleware.ts';
import { requestState } from '../request-state.ts';
import { parseDigestParams } from './digest-params.ts';
import { NonceStore } from './nonces.ts';

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/** What checking a Digest Authorization header gave. */
export type DigestOutcome =
  | { readonly kind: 'ok'; readonly user: string }
  | { readonly kind: 'stale' | 'fail'; readonly user?: string };

/** The `response` a client computes (RFC 7616 §3.4.1, MD5, qop=auth) from HA1 = MD5(user:realm:password). */
export function digestResponse(p: {
  ha1: string;
  method: string;
  uri: string;
  nonce: string;
  nc: string;
  cnonce: string;
  qop: string;
}): string {
  return md5(`${p.ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${md5(`${p.method}:${p.uri}`)}`);
}

/** The request target as the client sent it, and as it is now (a middleware before may have rewritten it). */
function uriMatches(req: IncomingMessage, uri: string): boolean {
  const sent = requestState(req).originalUrl;
  return uri === sent || uri === req.url;
}

/**
 * Checks Digest credentials (RFC 7616 with MD5 and qop=auth, as go-http-auth does for Traefik): the opaque
 * value and the URI must be this challenge's and this request's, the response must be the one the user's HA1
 * gives, and only then is the nonce and its count checked and recorded.
 */
export function checkDigest(
  req: IncomingMessage,
  params: Map<string, string>,
  context: { users: Map<string, string>; realm: string; opaque: string; nonces: NonceStore },
): DigestOutcome {
  const user = params.get('username') ?? '';
  const fail: DigestOutcome = user === '' ? { kind: 'fail' } : { kind: 'fail', user };
  const algorithm = params.get('algorithm') ?? 'MD5';
  const [nonce, nc, cnonce, qop, uri, response] = ['nonce', 'nc', 'cnonce', 'qop', 'uri', 'response'].map(
    (k) => params.get(k) ?? '',
  ) as [string, string, string, string, string, string];
  if (params.get('opaque') !== context.opaque || algorithm !== 'MD5' || qop !== 'auth') return fail;
  if (!uriMatches(req, uri)) return fail;
  // An unknown user fails here, after the same work as a known one. (go-http-auth computes with an empty
  // HA1 for an unknown user, which a client can compute too; Wharf never accepts one.)
  const ha1 = context.users.get(`${user}:${context.realm}`);
  const method = req.method ?? 'GET';
  const expected = Buffer.from(
    digestResponse({ ha1: ha1 ?? '', method, uri, nonce, nc, cnonce, qop }),
    'latin1',
  );
  const given = Buffer.from(response, 'latin1');
  const match = expected.length === given.length && timingSafeEqual(expected, given);
  if (!match || ha1 === undefined) return fail;
  if (!/^[0-9a-fA-F]{1,16}$/.test(nc)) return fail;
  switch (context.nonces.use(nonce, BigInt(`0x${nc}`))) {
    case 'ok':
      return { kind: 'ok', user };
    case 'stale':
      return { kind: 'stale', user };
    default:
      return fail;
  }
}

/** Traefik's default realm. */
export const DEFAULT_REALM = 'traefik';

/**
 * HTTP Digest authentication against htdigest users (Traefik's digestAuth): 401 with a fresh nonce in
 * `WWW-Authenticate: Digest ...` until the client answers it for a user of this realm; `stale="true"` when
 * the credentials were right but the nonce expired, so browsers retry without asking the user again.
 */
export const digestAuth: MiddlewareDefinition<DigestAuth> = {
  create: (options, ctx) => {
    const label = `digestAuth ${ctx.name}`;
    const users = watchUsers({
      usersFile: options.usersFile,
      users: options.users,
      parse: digestUser,
      label,
      logger: ctx.logger,
      clock: ctx.clock,
      onChange: () => {},
    });
    const realm = options.realm || DEFAULT_REALM;
    if (![...users.current().keys()].some((k) => k.endsWith(`:${realm}`)))
      ctx.logger.warn(
        { middleware: ctx.name },
        `${label}: no user of realm ${realm}; every request gets 401 until the users change`,
      );
    const opaque = randomBytes(12).toString('base64');
    const nonces = new NonceStore(ctx.clock);
    const challenge = (stale: boolean) =>
      `Digest realm=${quotedString(realm)}, nonce="${nonces.issue()}", opaque="${opaque}", ${stale ? 'stale="true", ' : ''}algorithm="MD5", qop="auth"`;
    return {
      wrap: (next) => async (req, res) => {
        const params = parseDigestParams(req.headers.authorization);
        const outcome: DigestOutcome = params
          ? checkDigest(req, params, { users: users.current(), realm, opaque, nonces })
          : { kind: 'fail' };
        // As Traefik, the access log names the user the client gave, whether or not it was accepted.
        if (outcome.user !== undefined) requestState(req).username = outcome.user;
        if (outcome.kind !== 'ok') {
          // issue 17: the ban middleware counts refusals; a stale nonce is no wrong password (the client retries).
          if (outcome.kind !== 'stale') requestState(req).refusedBy = 'digestAuth';
          sendUnauthorized(res, challenge(outcome.kind === 'stale'));
          return;
        }
        forwardAuthenticated(req, outcome.user, options);
        return next(req, res);
      },
      close: () => users.close(),
    };
  },
};
