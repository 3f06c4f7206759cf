import { describe, expect, it } from 'vitest';
import { isSecretName, REDACTED, redactSecrets, redactUrlSecrets, redactUrls } from './redact.ts';

describe('redactUrls', () => {
  it.each([
    { text: 'http://10.0.0.5:8080', out: 'http://10.0.0.5:8080' },
    { text: 'http://user:pa55@10.0.0.5:8080/x', out: `http://user:${REDACTED}@10.0.0.5:8080/x` },
    { text: 'https://:tok@h/', out: `https://:${REDACTED}@h/` },
    { text: 'http://onlyuser@h/', out: 'http://onlyuser@h/' },
    {
      text: 'upstream http://a:b@h1 and redis://x:y@h2:6379 failed',
      out: `upstream http://a:${REDACTED}@h1 and redis://x:${REDACTED}@h2:6379 failed`,
    },
    { text: 'web@file', out: 'web@file' },
    { text: 'http://h/path?u=a:b@c', out: 'http://h/path?u=a:b@c' },
    // The userinfo ends at the last "@" of the authority (WHATWG URL and Go's url.Parse both read it so):
    // a raw "@" in the password or the user name must not leave the password, or part of it, shown.
    { text: 'http://user:p@ss@h:8080/x', out: `http://user:${REDACTED}@h:8080/x` },
    { text: 'http://us@er:pw@h/', out: `http://us@er:${REDACTED}@h/` },
    {
      text: 'http://a:b@h1/p@q and http://c:d@h2',
      out: `http://a:${REDACTED}@h1/p@q and http://c:${REDACTED}@h2`,
    },
    { text: 'http://h:8080/x@y', out: 'http://h:8080/x@y' },
  ])('$text', ({ text, out }) => {
    expect(redactUrls(text)).toBe(out);
  });
});

describe('isSecretName', () => {
  it.each([
    ['Authorization', true],
    ['proxy-authorization', true],
    ['Cookie', true],
    ['Set-Cookie', true],
    ['X-Api-Key', true],
    ['x_api_key', true],
    ['apikey', true],
    ['X-Auth-Token', true],
    ['password', true],
    ['X-Client-Secret', true],
    ['X-Session-Id', true],
    ['Content-Type', false],
    ['X-Forwarded-For', false],
    ['passHostHeader', false],
    ['url', false],
  ])('%s', (name, secret) => {
    expect(isSecretName(name)).toBe(secret);
  });
});

describe('redactSecrets', () => {
  it('keeps the names of basicAuth and digestAuth users and redacts their hashes', () => {
    expect(
      redactSecrets({
        basicAuth: { users: ['alice:$apr1$txDfCdrF$EoIhBAxbwthYp82/5rC130', 'nocolon'], realm: 'r' },
        digestAuth: { users: ['bob:traefik:e66182e4199fd90e2499700ddd5c3e17'] },
      }),
    ).toEqual({
      basicAuth: { users: [`alice:${REDACTED}`, REDACTED], realm: 'r' },
      digestAuth: { users: [`bob:traefik:${REDACTED}`] },
    });
  });

  it('redacts credential values and URL passwords, in values and keys, without touching the input', () => {
    const input = {
      loadBalancer: { servers: [{ url: 'http://u:p@10.0.0.5' }], passHostHeader: true },
      serverStatus: { 'http://u:p@10.0.0.5': 'UP' },
      headers: {
        customRequestHeaders: { Authorization: 'Bearer abc', 'X-Api-Key': 'k', 'X-Keep': 'v', Cookie: '' },
      },
      usedBy: ['auth@file'],
    };
    const copy = structuredClone(input);
    expect(redactSecrets(input)).toEqual({
      loadBalancer: { servers: [{ url: `http://u:${REDACTED}@10.0.0.5` }], passHostHeader: true },
      serverStatus: { [`http://u:${REDACTED}@10.0.0.5`]: 'UP' },
      headers: {
        customRequestHeaders: { Authorization: REDACTED, 'X-Api-Key': REDACTED, 'X-Keep': 'v', Cookie: '' },
      },
      usedBy: ['auth@file'],
    });
    expect(input).toEqual(copy);
  });

  it('redacts a private key given inline, whatever the name of its key', () => {
    const key = '-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n';
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    expect(redactSecrets({ forwardAuth: { tls: { key, cert, ca: '/certs/ca.pem' } } })).toEqual({
      forwardAuth: { tls: { key: REDACTED, cert, ca: '/certs/ca.pem' } },
    });
  });

  // Every kind of secret a dynamic configuration can hold, as the API would otherwise show it.
  it.each([
    {
      kind: 'basicAuth users (bcrypt)',
      in: { basicAuth: { users: ['admin:$2y$05$abcdefghijklmnopqrstuu5Wf3P1q0Y5oYB6s0k1f4X2m4a8yQe'] } },
      out: { basicAuth: { users: [`admin:${REDACTED}`] } },
    },
    {
      kind: 'digestAuth users',
      in: { digestAuth: { users: ['bob:realm:0123456789abcdef0123456789abcdef'] } },
      out: { digestAuth: { users: [`bob:realm:${REDACTED}`] } },
    },
    {
      kind: 'a Redis password (rateLimit.redis)',
      in: { rateLimit: { redis: { endpoints: ['127.0.0.1:6379'], username: 'u', password: 'pw' } } },
      out: { rateLimit: { redis: { endpoints: ['127.0.0.1:6379'], username: 'u', password: REDACTED } } },
    },
    {
      kind: 'a token in a forwardAuth address',
      in: { forwardAuth: { address: 'http://auth:9091/verify?token=t0k&rd=%2F&api_key=k3y&key=g' } },
      out: {
        forwardAuth: {
          address: `http://auth:9091/verify?token=${REDACTED}&rd=%2F&api_key=${REDACTED}&key=${REDACTED}`,
        },
      },
    },
    {
      kind: 'credential headers of a middleware and a health check',
      in: { healthCheck: { headers: { 'X-Auth-Token': 't', 'X-Hub-Signature': 's', Accept: '*/*' } } },
      out: {
        healthCheck: { headers: { 'X-Auth-Token': REDACTED, 'X-Hub-Signature': REDACTED, Accept: '*/*' } },
      },
    },
    {
      kind: 'not secrets: options whose names merely contain a secret word',
      in: {
        forwardAuth: {
          authResponseHeadersRegex: '^X-',
          authSigninURL: 'https://login.example/',
          authResponseHeaders: ['X-User'],
        },
      },
      out: {
        forwardAuth: {
          authResponseHeadersRegex: '^X-',
          authSigninURL: 'https://login.example/',
          authResponseHeaders: ['X-User'],
        },
      },
    },
  ])('$kind', ({ in: input, out }) => {
    expect(redactSecrets(input)).toEqual(out);
  });
});

describe('redactUrlSecrets', () => {
  it.each([
    { text: 'http://h/p?a=1&b=2', out: 'http://h/p?a=1&b=2' },
    { text: 'http://u:p@h/p?access_token=x', out: `http://u:${REDACTED}@h/p?access_token=${REDACTED}` },
    { text: 'see https://h/?sig=abc#frag', out: `see https://h/?sig=${REDACTED}#frag` },
    { text: 'https://h/?Password=x&flag', out: `https://h/?Password=${REDACTED}&flag` },
    { text: 'no url ? token=x', out: 'no url ? token=x' },
  ])('$text', ({ text, out }) => {
    expect(redactUrlSecrets(text)).toBe(out);
  });
});
