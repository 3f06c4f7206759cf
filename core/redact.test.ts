import { describe, expect, it } from 'vitest';
import { isSecretName, REDACTED, redactSecrets, redactUrls } from './redact.ts';

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
});
