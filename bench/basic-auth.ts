import { createHash } from 'node:crypto';
import * as apacheMd5 from 'apache-md5';
import bcrypt from 'bcryptjs';
import { checkSecret } from '../middleware/basic-auth/check-secret.ts';
import { CredentialChecker } from '../middleware/basic-auth/credential-checker.ts';
import { median } from './wrk.ts';

// `npm run bench:basic-auth`: what basicAuth's verification cache saves. One browser sends the same
// credentials on every request; without the cache each request pays the hash (bcrypt by design is slow),
// with it only the first does. Verifications per second, median of ROUNDS rounds of about ROUND_MS each,
// for bcrypt at cost 5 (htpasswd -B's default) and 10 (a common explicit choice), and for apr1 and SHA1.
// "uncached" calls checkSecret directly (what every request would cost); "cached" goes through the
// CredentialChecker the middleware uses, after one first verification.

const ROUNDS = 5;
const ROUND_MS = 1000;

/** Verifications per second of `verify` over one round of about ROUND_MS. */
async function round(verify: () => Promise<boolean>): Promise<number> {
  let n = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ROUND_MS) * 1_000_000n;
  while (process.hrtime.bigint() < end) {
    if (!(await verify())) throw new Error('a verification failed');
    n++;
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function rate(verify: () => Promise<boolean>): Promise<number> {
  await round(verify); // warm-up
  const rates: number[] = [];
  for (let i = 0; i < ROUNDS; i++) rates.push(await round(verify));
  return median(rates);
}

/** A ratio as people read it: whole above 10, two decimals below. */
const speedUp = (x: number) => (x >= 10 ? x.toFixed(0) : x.toFixed(2));

const PASSWORD = 'correct horse battery staple';
// The hashes are made here with the libraries the middleware verifies with (see check-secret.ts for why
// apache-md5's default is cast).
const aprMd5 = apacheMd5.default as unknown as (password: string) => string;
const cases: Array<[string, string]> = [
  ['bcrypt cost 5', await bcrypt.hash(PASSWORD, 5)],
  ['bcrypt cost 10', await bcrypt.hash(PASSWORD, 10)],
  ['apr1', aprMd5(PASSWORD)],
  ['sha1', `{SHA}${createHash('sha1').update(PASSWORD).digest('base64')}`],
];

console.log(
  `basicAuth verifications/s (median of ${ROUNDS} rounds of ${ROUND_MS} ms), Node ${process.version}`,
);
console.log('format           uncached/s   cached/s   speed-up');
for (const [name, secret] of cases) {
  const uncached = await rate(() => checkSecret(PASSWORD, secret));
  const checker = new CredentialChecker(new Map([['alice', secret]]));
  const cached = await rate(() => checker.check('alice', PASSWORD));
  console.log(
    `${name.padEnd(15)} ${uncached.toFixed(0).padStart(11)} ${cached.toFixed(0).padStart(10)} ${speedUp(cached / uncached).padStart(9)}x`,
  );
}
