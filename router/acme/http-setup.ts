import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import acme from 'acme-client';

interface Interceptors {
  handlers?: unknown[];
}

let configured = false;
const extraCas = new Set<string>();

/**
 * Configures acme-client's HTTP layer (one axios instance per process): the CA certificates resolvers trust
 * (`caCertificates`, the union over resolvers; with the system roots unless every resolver that names
 * caCertificates leaves caSystemCertPool off and no resolver relies on the system roots), the server name
 * of the CA's certificate (`caServerName`), the request timeout, and how
 * failures surface. acme-client retries unreachable CAs up to 5 times with 5-25 s waits and then fails with
 * an unrelated TypeError; Wharf has its own backoff per domain, so a connection error is turned into an
 * error that names the CA and the cause, and is not retried here. Answers with a status (429, 5xx) keep
 * acme-client's retries, shortened.
 */
export function setupAcmeHttp(
  caFiles: readonly string[],
  timeoutMs: number,
  tls: { systemRoots?: boolean; servername?: string } = {},
): void {
  for (const file of caFiles) extraCas.add(readFileSync(file, 'utf8'));
  const axios = acme.axios;
  axios.defaults.timeout = timeoutMs;
  // As Traefik: caCertificates replace the system roots unless caSystemCertPool (systemRoots) says both.
  const roots = tls.systemRoots === false ? [] : rootCertificates;
  axios.defaults.httpsAgent = new Agent({
    keepAlive: true,
    ...(extraCas.size > 0 ? { ca: [...roots, ...extraCas] } : {}),
    ...(tls.servername ? { servername: tls.servername } : {}),
  });
  const settings = (axios.defaults as unknown as { acmeSettings: Record<string, number> }).acmeSettings;
  settings.retryMaxAttempts = 2;
  settings.retryDefaultDelay = 1;
  if (configured) return;
  configured = true;
  axios.interceptors.response.use(undefined, (error: unknown) => {
    const e = error as { response?: unknown; config?: { url?: string }; code?: string; message?: string };
    if (e?.response !== undefined || !e?.config) return Promise.reject(error);
    const url = e.config.url ?? 'the CA';
    const plain = Object.assign(new Error(`${url}: ${e.message ?? e.code ?? 'request failed'}`), {
      code: e.code ?? 'ECONNECT',
    });
    return Promise.reject(plain);
  });
  // Runs first: acme-client's own handler passes on errors without an axios config untouched.
  const manager = axios.interceptors.response as unknown as Interceptors;
  if (Array.isArray(manager.handlers)) manager.handlers.unshift(manager.handlers.pop());
}
