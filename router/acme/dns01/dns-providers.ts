import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Logger } from '../../../core/log.ts';
import { rfc2136FromEnv, rfc2136Update } from './rfc2136.ts';

// The DNS providers Wharf has, configured by lego's environment variables (Traefik reads a provider's
// credentials from the environment, through lego): rfc2136 (alias dnsupdate), exec and httpreq. Every other
// lego provider name is reported as not supported (check-acme-options.ts).

/** One DNS-01 challenge, as lego hands it to a provider. */
export interface DnsChallengeInfo {
  /** The identifier (`example.com` for `*.example.com` too). */
  readonly domain: string;
  readonly token: string;
  /** `<token>.<account key thumbprint>`. */
  readonly keyAuth: string;
  /** `_acme-challenge.<domain>.` after following its CNAMEs. */
  readonly fqdn: string;
  /** The TXT value: base64url(SHA-256(keyAuth)). */
  readonly value: string;
}

/** A DNS provider: puts and removes the TXT record, and says how long to wait for it. */
export interface DnsProvider {
  readonly name: string;
  present(c: DnsChallengeInfo): Promise<void>;
  cleanup(c: DnsChallengeInfo): Promise<void>;
  /** How long to wait for propagation, and how often to check (lego's Timeout()). */
  readonly propagationTimeoutMs: number;
  readonly pollingIntervalMs: number;
  /** Set for providers lego solves one challenge at a time (lego's Sequential()): the pause between two. */
  readonly sequenceIntervalMs?: number;
}

/** The provider names Wharf supports (lego's names; `dnsupdate` is rfc2136's lego v5 name). */
export const SUPPORTED_DNS_PROVIDERS = ['rfc2136', 'dnsupdate', 'exec', 'httpreq'] as const;

/** An environment variable as lego reads it: its value, else the content of the file named by `<NAME>_FILE`. */
export function envValue(env: Record<string, string | undefined>, name: string): string | undefined {
  const v = env[name];
  if (v !== undefined && v !== '') return v;
  const file = env[`${name}_FILE`];
  return file ? readFileSync(file, 'utf8').trim() : undefined;
}

function seconds(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const v = envValue(env, name);
  if (v === undefined) return fallback * 1000;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} "${v}" is not a number of seconds`);
  return n * 1000;
}

/** lego's defaults: 60 s propagation timeout, 2 s polling, 60 s between sequential challenges. */
const timing = (env: Record<string, string | undefined>, prefix: string, sequential: boolean) => ({
  propagationTimeoutMs: seconds(env, `${prefix}PROPAGATION_TIMEOUT`, 60),
  pollingIntervalMs: seconds(env, `${prefix}POLLING_INTERVAL`, 2),
  ...(sequential ? { sequenceIntervalMs: seconds(env, `${prefix}SEQUENCE_INTERVAL`, 60) } : {}),
});

function rfc2136(env: Record<string, string | undefined>): DnsProvider {
  // lego v5 reads DNSUPDATE_<X> and falls back to RFC2136_<X>.
  const get = (suffix: string) => envValue(env, `DNSUPDATE_${suffix}`) ?? envValue(env, `RFC2136_${suffix}`);
  const config = rfc2136FromEnv(get);
  const prefix = env.DNSUPDATE_NAMESERVER ? 'DNSUPDATE_' : 'RFC2136_';
  return {
    name: 'rfc2136',
    present: (c) => rfc2136Update(config, 'insert', c.fqdn, c.value),
    cleanup: (c) => rfc2136Update(config, 'remove', c.fqdn, c.value),
    ...timing(env, prefix, true),
  };
}

/** Runs the EXEC_PATH program; its output goes to the log line by line, as lego logs it. */
function runProgram(path: string, args: string[], logger: Logger): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-2000);
      for (const line of text.split('\n')) if (line.trim() !== '') logger.info({ program: path }, line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => reject(new Error(`exec: start command: ${err.message}`)));
    child.on('close', (code, signal) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `exec: wait command: ${signal ? `killed by ${signal}` : `exit status ${code}`}${tail.trim() ? `: ${tail.trim()}` : ''}`,
            ),
          ),
    );
  });
}

function exec(env: Record<string, string | undefined>, logger: Logger): DnsProvider {
  const path = envValue(env, 'EXEC_PATH');
  if (!path) throw new Error('some credentials information are missing: EXEC_PATH');
  const raw = env.EXEC_MODE === 'RAW';
  const args = (action: string, c: DnsChallengeInfo) =>
    raw ? [action, '--', c.domain, c.token, c.keyAuth] : [action, c.fqdn, c.value];
  return {
    name: 'exec',
    present: (c) => runProgram(path, args('present', c), logger),
    cleanup: (c) => runProgram(path, args('cleanup', c), logger),
    ...timing(env, 'EXEC_', true),
  };
}

function httpreq(env: Record<string, string | undefined>): DnsProvider {
  const endpoint = envValue(env, 'HTTPREQ_ENDPOINT');
  if (!endpoint) throw new Error('some credentials information are missing: HTTPREQ_ENDPOINT');
  let base: URL;
  try {
    base = new URL(endpoint);
  } catch {
    throw new Error(`HTTPREQ_ENDPOINT "${endpoint}" is not a URL`);
  }
  const raw = envValue(env, 'HTTPREQ_MODE') === 'RAW';
  const user = envValue(env, 'HTTPREQ_USERNAME');
  const password = envValue(env, 'HTTPREQ_PASSWORD');
  const timeoutMs = seconds(env, 'HTTPREQ_HTTP_TIMEOUT', 30);
  const post = async (path: string, c: DnsChallengeInfo) => {
    // lego joins the path to the endpoint's own path (url.JoinPath).
    const url = new URL(base);
    url.pathname = `${url.pathname.replace(/\/$/, '')}${path}`;
    const body = raw
      ? { domain: c.domain, token: c.token, keyAuth: c.keyAuth }
      : { fqdn: c.fqdn, value: c.value };
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        ...(user && password
          ? { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` }
          : {}),
      },
      body: `${JSON.stringify(body)}\n`,
      signal: AbortSignal.timeout(timeoutMs),
    }).catch((err: Error) => {
      throw new Error(`httpreq: POST ${url.origin}${url.pathname}: ${err.cause ?? err.message}`);
    });
    const text = await res.text();
    if (res.status < 200 || res.status > 299)
      throw new Error(
        `httpreq: POST ${url.origin}${url.pathname}: unexpected status ${res.status}: ${text.slice(0, 200)}`,
      );
  };
  return {
    name: 'httpreq',
    present: (c) => post('/present', c),
    cleanup: (c) => post('/cleanup', c),
    ...timing(env, 'HTTPREQ_', false),
  };
}

/**
 * The provider named `name`, configured from `env`; throws with what is missing or wrong (lego's message
 * style), or that the provider is not supported by Wharf.
 */
export function dnsProvider(
  name: string,
  env: Record<string, string | undefined>,
  logger: Logger,
): DnsProvider {
  switch (name) {
    case 'rfc2136':
    case 'dnsupdate':
      return rfc2136(env);
    case 'exec':
      return exec(env, logger);
    case 'httpreq':
      return httpreq(env);
    default:
      throw new Error(
        `DNS provider "${name}" is not supported by Wharf (supported: ${SUPPORTED_DNS_PROVIDERS.join(', ')})`,
      );
  }
}
