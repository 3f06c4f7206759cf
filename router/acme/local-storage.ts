import { createPrivateKey, randomBytes } from 'node:crypto';
import { chmod, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import type { AcmeStorage, ChallengeType, Release, StoredAccount, StoredCertificate } from './storage.ts';

/** Thrown when the file is readable by group or others: Traefik refuses such a file, and so does Wharf. */
export class StoragePermissionsError extends Error {
  readonly mode: string;
  constructor(path: string, mode: number) {
    super(`permissions ${mode.toString(8)} for ${path} are too open, please use 600`);
    this.mode = mode.toString(8).padStart(3, '0');
  }
}

/** One resolver's section of acme.json, in Traefik's shape so a Traefik file carries over. */
interface FileSection {
  Account?: {
    Email?: string;
    Registration?: { uri?: string };
    /** Base64 of the key: DER (Traefik: SEC1 or PKCS#1) or PEM text. */
    PrivateKey?: string;
    KeyType?: string;
  } | null;
  Certificates?: Array<{
    domain: { main: string; sans?: string[] | null };
    /** Base64 of the PEM chain. */
    certificate: string;
    key: string;
    Store?: string;
  }> | null;
}

type FileContent = Record<string, FileSection>;

// Several resolvers may share one file (Traefik keys it by resolver name): writes to a path are serialized.
const queues = new Map<string, Promise<unknown>>();
function serialize<T>(path: string, task: () => Promise<T>): Promise<T> {
  const next = (queues.get(path) ?? Promise.resolve()).then(task, task);
  // The queue only orders writes: the caller gets `next` and handles its failure; the queue's copy must not
  // reject, or the next write would wait on an unhandled rejection.
  queues.set(
    path,
    next.catch(() => undefined),
  );
  return next;
}

/** A PEM private key from what acme.json holds (Traefik's base64 DER, or base64 PEM as Wharf writes). */
export function accountKeyFromFile(encoded: string): string {
  const raw = Buffer.from(encoded, 'base64');
  const text = raw.toString('utf8');
  if (text.includes('-----BEGIN')) return text;
  for (const type of ['sec1', 'pkcs1', 'pkcs8'] as const) {
    try {
      return createPrivateKey({ key: raw, format: 'der', type }).export({
        format: 'pem',
        type: 'pkcs8',
      }) as string;
    } catch {
      // Not this encoding: try the next one.
    }
  }
  throw new Error('the account PrivateKey is neither PEM nor a DER private key');
}

/**
 * The local storage of a resolver: a JSON file in Traefik's acme.json layout, shared by resolvers by name.
 * Writes go to a temporary file created with mode 0600 in the same folder and are renamed over the file, so
 * a crash never leaves a half-written file. A file readable by others is refused, as Traefik does. Challenge
 * responses stay in memory: one router is the only one answering them.
 */
export class LocalStorage implements AcmeStorage {
  readonly description: string;
  readonly #path: string;
  readonly #resolver: string;
  readonly #challenges = new Map<string, string>();
  #checked = false;

  constructor(path: string, resolver: string) {
    this.#path = path;
    this.#resolver = resolver;
    this.description = path;
  }

  async #read(): Promise<FileContent> {
    let text: string;
    try {
      if (!this.#checked) {
        const s = await stat(this.#path);
        if ((s.mode & 0o077) !== 0) throw new StoragePermissionsError(this.#path, s.mode & 0o777);
        this.#checked = true;
      }
      text = await readFile(this.#path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
    if (text.trim() === '') return {};
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error(`${this.#path} does not hold a JSON object`);
    return parsed as FileContent;
  }

  async #update(change: (section: FileSection) => void): Promise<void> {
    await serialize(this.#path, async () => {
      const content = await this.#read();
      const section = content[this.#resolver] ?? {};
      change(section);
      content[this.#resolver] = section;
      const tmp = `${this.#path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await writeFile(tmp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
        await chmod(tmp, 0o600); // whatever the umask
        await rename(tmp, this.#path);
      } catch (err) {
        // Best effort: the temporary file may not exist (the write failed before creating it); the write's
        // own error, rethrown below, is what the caller logs.
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
    });
  }

  async load(): Promise<{ account: StoredAccount | undefined; certificates: StoredCertificate[] }> {
    const section = (await serialize(this.#path, () => this.#read()))[this.#resolver] ?? {};
    const a = section.Account;
    const account =
      a?.PrivateKey !== undefined
        ? { email: a.Email, url: a.Registration?.uri, keyPem: accountKeyFromFile(a.PrivateKey) }
        : undefined;
    const certificates = (section.Certificates ?? []).map((c) => ({
      domain: { main: c.domain.main, sans: c.domain.sans ?? [] },
      certificate: Buffer.from(c.certificate, 'base64').toString('utf8'),
      key: Buffer.from(c.key, 'base64').toString('utf8'),
    }));
    return { account, certificates };
  }

  async saveAccount(account: StoredAccount): Promise<StoredAccount> {
    await this.#update((s) => {
      s.Account = {
        ...(account.email ? { Email: account.email } : {}),
        Registration: account.url ? { uri: account.url } : {},
        PrivateKey: Buffer.from(account.keyPem).toString('base64'),
        KeyType: 'EC256',
      };
    });
    return account;
  }

  async saveCertificate(c: StoredCertificate): Promise<void> {
    await this.#update((s) => {
      const list = (s.Certificates ?? []).filter((x) => x.domain.main !== c.domain.main);
      list.push({
        domain: { main: c.domain.main, sans: [...c.domain.sans] },
        certificate: Buffer.from(c.certificate).toString('base64'),
        key: Buffer.from(c.key).toString('base64'),
        Store: 'default',
      });
      s.Certificates = list;
    });
  }

  async getCertificate(main: string): Promise<StoredCertificate | undefined> {
    return (await this.load()).certificates.find((c) => c.domain.main === main);
  }

  async putChallenge(type: ChallengeType, id: string, value: string): Promise<void> {
    this.#challenges.set(`${type}/${id}`, value);
  }

  async removeChallenge(type: ChallengeType, id: string): Promise<void> {
    this.#challenges.delete(`${type}/${id}`);
  }

  async getChallenge(type: ChallengeType, id: string): Promise<string | undefined> {
    return this.#challenges.get(`${type}/${id}`);
  }

  async tryLock(): Promise<Release | undefined> {
    // One process owns the file; the resolver already runs one order per domain at a time.
    return async () => {};
  }

  watch(): void {}

  async close(): Promise<void> {}
}
