import type { BasicAuth } from '../../config/middlewares/basic-auth.ts';
import { forwardAuthenticated, quotedString, sendUnauthorized } from '../auth/challenge.ts';
import { basicUser } from '../auth/users.ts';
import { watchUsers } from '../auth/watched-users.ts';
import type { MiddlewareDefinition } from '../middleware.ts';
import { requestState } from '../request-state.ts';
import { hashFormat } from './check-secret.ts';
import { CredentialChecker } from './credential-checker.ts';

/** Traefik's default realm. */
export const DEFAULT_REALM = 'traefik';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The user and password of a `Basic` Authorization header, read as Go's Request.BasicAuth reads it: the
 * scheme in any case followed by one space, standard base64 with padding, split at the first colon.
 * Credentials that are not UTF-8 are refused (no configured password could match them exactly).
 */
export function parseBasicCredentials(
  header: string | undefined,
): { user: string; password: string } | undefined {
  if (header === undefined || header.length < 6 || header.slice(0, 6).toLowerCase() !== 'basic ') return;
  const encoded = header.slice(6);
  if (encoded.length % 4 !== 0 || !BASE64.test(encoded)) return;
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(encoded, 'base64'));
  } catch {
    return;
  }
  const colon = decoded.indexOf(':');
  if (colon === -1) return;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Users whose hash no supported format matches: they can never log in, which the operator should know. */
function warnUnusable(users: Map<string, string>, warn: (names: string[]) => void): void {
  const names = [...users].filter(([, secret]) => hashFormat(secret) === undefined).map(([name]) => name);
  if (names.length > 0) warn(names);
}

/**
 * HTTP Basic authentication against htpasswd users (Traefik's basicAuth): a request without valid
 * credentials gets 401 with `WWW-Authenticate: Basic realm="..."`; an authenticated one goes on with the
 * user in `headerField` (if set) and in the access log, and without Authorization if `removeHeader`.
 */
export const basicAuth: MiddlewareDefinition<BasicAuth> = {
  create: (options, ctx) => {
    const label = `basicAuth ${ctx.name}`;
    const warn = (names: string[]) =>
      ctx.logger.warn(
        { middleware: ctx.name, users: names },
        `${label}: users ${names.join(', ')} have a hash in a format Traefik and Wharf do not accept (plain text, crypt, SHA-256/512-crypt); they cannot log in until it is made with htpasswd -B`,
      );
    let checker: CredentialChecker | undefined;
    const users = watchUsers({
      usersFile: options.usersFile,
      users: options.users,
      parse: basicUser,
      label,
      logger: ctx.logger,
      clock: ctx.clock,
      onChange: (next) => {
        if (next.size === 0)
          ctx.logger.warn({ middleware: ctx.name }, `${label}: no users left; every request gets 401`);
        warnUnusable(next, warn);
        checker?.setUsers(next);
      },
    });
    const initial = users.current();
    if (initial.size === 0) {
      users.close();
      throw new Error(`no users found in ${options.usersFile ? `usersFile ${options.usersFile}` : 'users'}`);
    }
    warnUnusable(initial, warn);
    checker = new CredentialChecker(initial);
    const verify = checker;
    const challenge = `Basic realm=${quotedString(options.realm || DEFAULT_REALM)}`;
    return {
      wrap: (next) => async (req, res) => {
        const credentials = parseBasicCredentials(req.headers.authorization);
        // As Traefik, the access log names the user the client gave, whether or not it was accepted.
        if (credentials) requestState(req).username = credentials.user;
        if (
          !credentials ||
          !(
            verify.checkCached(credentials.user, credentials.password) ||
            (await verify.check(credentials.user, credentials.password))
          )
        ) {
          requestState(req).refusedBy = 'basicAuth'; // issue 17: the ban middleware counts refusals
          sendUnauthorized(res, challenge);
          return;
        }
        forwardAuthenticated(req, credentials.user, options);
        return next(req, res);
      },
      close: () => users.close(),
    };
  },
};
