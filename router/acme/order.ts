import { generateKeyPairSync } from 'node:crypto';
import acme from 'acme-client';
import type { AcmeResolverConfig } from '../../config/static.ts';
import type { Logger } from '../../core/log.ts';
import { Dns01Solver } from './dns01/dns01-solver.ts';
import type { Dns01Setup } from './dns01/setup.ts';
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
  /** The resolver's DNS-01 provider and propagation rules, when it has a usable dnsChallenge. */
  readonly dns01?: Dns01Setup;
  readonly logger?: Logger;
  /** Aborted when the resolver stops: propagation waits end. */
  readonly signal?: AbortSignal;
}

const silent = { info() {}, debug() {}, warn() {} } as unknown as Logger;

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

/**
 * The challenge types the resolver may use, in lego's order of preference (it sorts the CA's challenges by
 * type name): dns-01 (when the resolver has a usable dnsChallenge), http-01, tls-alpn-01.
 */
export function challengeTypes(config: AcmeResolverConfig, dns01 = false): string[] {
  return [
    ...(dns01 ? ['dns-01'] : []),
    ...(config.httpChallenge ? ['http-01'] : []),
    ...(config.tlsChallenge ? ['tls-alpn-01'] : []),
  ];
}

/** The CSR of an order: every name in subjectAltName, the first also as common name unless disableCommonName. */
export async function csrFor(
  config: AcmeResolverConfig,
  names: readonly string[],
  key: string,
): Promise<Buffer> {
  const [, csr] = await acme.crypto.createCsr(
    { ...(config.disableCommonName ? {} : { commonName: names[0] }), altNames: [...names] },
    key,
  );
  return csr;
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
  const csr = await csrFor(config, names, key);
  if (config.profile) {
    // acme-client's auto() builds the new-order payload itself; the profile (draft-aaron-acme-profiles)
    // is added to it here.
    const createOrder = client.createOrder.bind(client);
    client.createOrder = (data) => createOrder({ ...data, profile: config.profile } as typeof data);
  }
  const dns = ctx.dns01 && 'provider' in ctx.dns01 ? ctx.dns01 : undefined;
  const solver = dns && new Dns01Solver(dns.provider, dns.rules, ctx.logger ?? silent);
  // The raw key authorization (token.thumbprint) that lego hands DNS providers (exec and httpreq RAW mode).
  const rawKeyAuth = (challenge: { token: string }) =>
    client.getChallengeKeyAuthorization({ ...challenge, type: 'http-01' } as never);
  const certificate = await client.auto({
    csr,
    termsOfServiceAgreed: true,
    skipChallengeVerification: true,
    challengePriority: challengeTypes(config, solver !== undefined),
    ...(config.preferredChain ? { preferredChain: config.preferredChain } : {}),
    challengeCreateFn: async (authz, challenge, keyAuthorization) => {
      const type: string = challenge.type;
      if (type === 'dns-01') {
        if (!solver)
          throw new Error(
            ctx.dns01 && 'error' in ctx.dns01
              ? `DNS-01 is needed for ${authz.identifier.value} and ${ctx.dns01.error}`
              : `${authz.identifier.value} can only be validated with DNS-01: configure certificatesResolvers.${ctx.resolver}.acme.dnsChallenge`,
          );
        await solver.present(
          authz.identifier.value,
          challenge.token,
          await rawKeyAuth(challenge),
          ctx.signal,
        );
      } else if (type === 'http-01') {
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
      if (challenge.type === 'dns-01') {
        if (solver)
          await solver.cleanup(authz.identifier.value, challenge.token, await rawKeyAuth(challenge));
      } else if (challenge.type === 'http-01') await storage.removeChallenge('http-01', challenge.token);
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
