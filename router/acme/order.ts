import { generateKeyPairSync } from 'node:crypto';
import acme from 'acme-client';
import type { AcmeResolverConfig } from '../../config/static.ts';
import type { AcmeStorage, StoredAccount, StoredCertificate } from './storage.ts';

/** What one order needs from its resolver. */
export interface OrderContext {
  readonly resolver: string;
  readonly config: AcmeResolverConfig;
  readonly storage: AcmeStorage;
  /** The account to use; registered (and stored) on first use. */
  readonly account: () => Promise<StoredAccount>;
  /** Keeps the account once registered, so the next order skips the registration. */
  readonly remember: (account: StoredAccount) => void;
}

/** A new private key of the configured type, PEM. */
export function newPrivateKey(keyType: AcmeResolverConfig['keyType']): string {
  if (keyType.startsWith('EC')) {
    const namedCurve = keyType === 'EC384' ? 'P-384' : 'P-256';
    return generateKeyPairSync('ec', { namedCurve }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    }) as string;
  }
  const modulusLength = Number(keyType.slice(3));
  return generateKeyPairSync('rsa', { modulusLength }).privateKey.export({
    format: 'pem',
    type: 'pkcs8',
  }) as string;
}

/** A new ACME account key (ECDSA P-256, as small and fast as keys go). */
export function newAccount(email: string | undefined): StoredAccount {
  return { email, keyPem: newPrivateKey('EC256') };
}

/** The challenge types the resolver may use, in order of preference. */
export function challengeTypes(config: AcmeResolverConfig): string[] {
  return [...(config.httpChallenge ? ['http-01'] : []), ...(config.tlsChallenge ? ['tls-alpn-01'] : [])];
}

/**
 * Obtains one certificate for `names` (the first is the main domain): registers the account when it has no
 * URL yet, places the order, publishes each challenge response in the storage for whichever replica the CA
 * reaches (and removes it afterwards), finalizes with a new key of the configured type, and returns the
 * certificate with its chain. acme-client's own pre-check of the challenge (a request to the domain from
 * here) is skipped: behind NAT, or with several replicas, it proves nothing the CA does not check itself.
 */
export async function orderCertificate(
  ctx: OrderContext,
  names: readonly string[],
): Promise<StoredCertificate> {
  const { config, storage } = ctx;
  let account = await ctx.account();
  const client = new acme.Client({
    directoryUrl: config.caServer,
    accountKey: account.keyPem,
    ...(account.url ? { accountUrl: account.url } : {}),
    ...(config.eab
      ? { externalAccountBinding: { kid: config.eab.kid, hmacKey: config.eab.hmacEncoded } }
      : {}),
    // Status polling: from 1 s rather than 5 s, so an order takes about as long as the CA needs.
    backoffMin: 1_000,
    backoffMax: 10_000,
  });
  if (!account.url) {
    await client.createAccount({
      termsOfServiceAgreed: true,
      ...(account.email ? { contact: [`mailto:${account.email}`] } : {}),
    });
    account = await storage.saveAccount({ ...account, url: client.getAccountUrl() });
    ctx.remember(account);
  }
  const key = newPrivateKey(config.keyType);
  const [, csr] = await acme.crypto.createCsr({ commonName: names[0], altNames: [...names] }, key);
  const certificate = await client.auto({
    csr,
    termsOfServiceAgreed: true,
    skipChallengeVerification: true,
    challengePriority: challengeTypes(config),
    ...(config.preferredChain ? { preferredChain: config.preferredChain } : {}),
    challengeCreateFn: async (authz, challenge, keyAuthorization) => {
      const type: string = challenge.type;
      if (type === 'http-01') {
        await storage.putChallenge('http-01', challenge.token, keyAuthorization);
      } else if (type === 'tls-alpn-01') {
        const [alpnKey, alpnCert] = await acme.crypto.createAlpnCertificate(
          authz,
          keyAuthorization,
          newPrivateKey('EC256'),
        );
        const value = JSON.stringify({ cert: alpnCert.toString(), key: alpnKey.toString() });
        await storage.putChallenge('tls-alpn-01', authz.identifier.value.toLowerCase(), value);
      } else throw new Error(`the CA offers no challenge Wharf answers (it offered ${type})`);
    },
    challengeRemoveFn: async (authz, challenge) => {
      if (challenge.type === 'http-01') await storage.removeChallenge('http-01', challenge.token);
      else await storage.removeChallenge('tls-alpn-01', authz.identifier.value.toLowerCase());
    },
  });
  return { domain: { main: names[0] as string, sans: names.slice(1) }, certificate, key };
}

/**
 * True when an order failed because the CA answered with a refusal (an ACME problem), false when the CA
 * could not be reached or answered with a server error: the first is retried slowly, the second quickly.
 */
export function refusedByCa(err: unknown): boolean {
  const e = err as { isAxiosError?: boolean; response?: unknown; code?: string };
  if (e?.isAxiosError) return e.response !== undefined;
  return !(typeof e?.code === 'string' && /^E[A-Z]+/.test(e.code));
}
