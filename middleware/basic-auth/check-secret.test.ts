import { describe, expect, it } from 'vitest';
import { checkSecret, hashFormat } from './check-secret.ts';

// Vectors made with Apache's htpasswd 2.4 (apache2-utils) and OpenSSL 3 (`openssl passwd`), except the
// $2a$ one, which is the published OpenBSD/crypt_blowfish test vector ("U*U"). The $2b$ and $2x$ rows are
// the $2y$ hash with its revision changed: the revisions compute the same hash for such passwords.
const BCRYPT_2Y = '$2y$05$JR7WdTU8UaZbgwivUFX55e2DGV0JwDqcne0gKk2xacRxkCDX.M3H2'; // htpasswd -nbB -C 5 alice secret
const VECTORS: Array<[string, string, string, boolean]> = [
  ['bcrypt $2y$ (htpasswd -B)', 'secret', BCRYPT_2Y, true],
  ['bcrypt $2y$, wrong password', 'Secret', BCRYPT_2Y, false],
  ['bcrypt $2b$', 'secret', `$2b$${BCRYPT_2Y.slice(4)}`, true],
  ['bcrypt $2x$ (accepted like $2a$, as Go does)', 'secret', `$2x$${BCRYPT_2Y.slice(4)}`, true],
  [
    'bcrypt $2a$ published vector',
    'U*U',
    '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW',
    true,
  ],
  [
    'bcrypt, UTF-8 password',
    'pässwörd',
    '$2y$04$shX/hz2JYSIfQ7FQ2f5A9uzYQWIh.CAJ.xaEiCrfTGn66BtgDuzt6',
    true,
  ],
  ['bcrypt, truncated hash', 'secret', BCRYPT_2Y.slice(0, 50), false],
  ['bcrypt, bad cost', 'secret', `$2y$99${BCRYPT_2Y.slice(6)}`, false],
  ['apr1 (htpasswd -m)', 'secret', '$apr1$txDfCdrF$EoIhBAxbwthYp82/5rC130', true],
  ['apr1, wrong password', 'secreT', '$apr1$txDfCdrF$EoIhBAxbwthYp82/5rC130', false],
  ['apr1, UTF-8 password', 'pässwörd', '$apr1$PoYvCIqO$53rzWZCrGq0NjS3c6CFYT/', true],
  ['apr1 (openssl passwd -apr1)', 'secret', '$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/', true],
  ['MD5-crypt $1$ (openssl passwd -1)', 'secret', '$1$saltsalt$9xy1btjgzLYfb7hivXtC//', true],
  ['SHA1 (htpasswd -s)', 'secret', '{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=', true],
  ['SHA1, wrong password', 'secret2', '{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=', false],
  ['SHA1, UTF-8 password', 'pässwörd', '{SHA}9Rfd8dMqES/xrVXGbRsSyzjn6Pc=', true],
  ['plain text (htpasswd -p): never, as in Traefik', 'secret', 'secret', false],
  ['DES crypt (htpasswd -d): never', 'secret', 'Q0ymGSgnc4j12', false],
  [
    'SHA-256-crypt (openssl passwd -5): never',
    'secret',
    '$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA',
    false,
  ],
  [
    'SHA-512-crypt (openssl passwd -6): never',
    'secret',
    '$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1',
    false,
  ],
  ['empty secret: never', '', '', false],
];

describe('checkSecret (go-http-auth CheckSecret formats)', () => {
  it.each(VECTORS)('%s', async (_name, password, secret, expected) => {
    expect(await checkSecret(password, secret)).toBe(expected);
  });
});

describe('hashFormat', () => {
  it.each([
    [BCRYPT_2Y, 'bcrypt'],
    ['$2a$05$x', 'bcrypt'],
    ['$apr1$s$h', 'apr1'],
    ['$1$s$h', 'md5-crypt'],
    ['{SHA}abc', 'sha1'],
    ['$5$s$h', undefined],
    ['$apr1$nohash', undefined],
    ['secret', undefined],
  ])('%s → %s', (secret, expected) => {
    expect(hashFormat(secret)).toBe(expected);
  });
});
