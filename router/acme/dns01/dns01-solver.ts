import type { Logger } from '../../../core/log.ts';
import type { DnsChallengeInfo, DnsProvider } from './dns-providers.ts';
import { challengeInfo, type PropagationRules, waitForPropagation } from './propagation.ts';

/**
 * Solves the DNS-01 challenges of one order, as lego's dns01 challenge does: the provider presents the TXT
 * record, the propagation rules are waited on, then the CA may validate; afterwards the record is cleaned
 * up. Providers lego solves one at a time (rfc2136, exec) go one challenge at a time here too, with the
 * provider's sequence interval between two: an rfc2136 insert replaces the TXT set at its name, and a
 * certificate for `example.com` and `*.example.com` has two values at the same name.
 */
export class Dns01Solver {
  readonly #provider: DnsProvider;
  readonly #rules: PropagationRules;
  readonly #logger: Logger;
  #turn: Promise<void> = Promise.resolve();
  #waiting = 0;
  readonly #release = new Map<string, () => void>();

  constructor(provider: DnsProvider, rules: PropagationRules, logger: Logger) {
    this.#provider = provider;
    this.#rules = rules;
    this.#logger = logger;
  }

  /** Waits for this challenge's turn (sequential providers); `key` identifies the challenge. */
  async #take(key: string): Promise<void> {
    if (this.#provider.sequenceIntervalMs === undefined) return;
    const previous = this.#turn;
    let release!: () => void;
    this.#turn = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#waiting++;
    await previous;
    this.#waiting--;
    this.#release.set(key, release);
  }

  #give(key: string): void {
    const release = this.#release.get(key);
    if (!release) return;
    this.#release.delete(key);
    const pause = this.#waiting > 0 ? (this.#provider.sequenceIntervalMs ?? 0) : 0;
    if (pause > 0) setTimeout(release, pause).unref();
    else release();
  }

  /** Presents the record and waits until the propagation rules hold; the CA may validate afterwards. */
  async present(
    domain: string,
    token: string,
    keyAuth: string,
    signal?: AbortSignal,
  ): Promise<DnsChallengeInfo> {
    // On failure acme-client still calls cleanup, which gives the turn back.
    await this.#take(token);
    const info = await challengeInfo(domain, token, keyAuth, this.#rules);
    this.#logger.info(
      { domain, fqdn: info.fqdn, provider: this.#provider.name },
      'ACME DNS-01: presenting the TXT record',
    );
    await this.#provider.present(info);
    await waitForPropagation(this.#rules, info.fqdn, info.value, this.#provider, signal);
    this.#logger.debug({ domain, fqdn: info.fqdn }, 'ACME DNS-01: the TXT record is served');
    return info;
  }

  /** Removes the record (errors are logged, not thrown, as lego does) and hands the turn on. */
  async cleanup(domain: string, token: string, keyAuth: string): Promise<void> {
    try {
      const info = await challengeInfo(domain, token, keyAuth, this.#rules);
      await this.#provider.cleanup(info);
    } catch (err) {
      this.#logger.warn(
        { domain, provider: this.#provider.name, err: (err as Error).message },
        'ACME DNS-01: could not clean up the TXT record',
      );
    } finally {
      this.#give(token);
    }
  }
}
