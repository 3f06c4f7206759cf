import { gunzipSync } from 'node:zlib';
import { type Answer, httpGet } from './procs.ts';
import { type ExtraCheck, type Scenario, UNKNOWN_HOST } from './scenarios.ts';

// What the harness checks before and after measuring a proxy: the routed request gets the backend's
// answer (with the scenario's rewrites and response headers), an unknown host does not reach the
// backend, and the scenario's other requests (no credentials, a denied client, a preflight) get theirs.

const shown = (a: Answer): string =>
  `${a.status} ${JSON.stringify(a.body.slice(0, 80))}${a.error ? ` (${a.error})` : ''}`;

/**
 * The expected response headers an answer lacks, as readable lines: each header must be there and its
 * value must contain the expected text (case-insensitively; `Vary: Accept-Encoding, Origin` holds `Origin`).
 */
export function headerProblems(a: Answer, expected: Readonly<Record<string, string>> = {}): string[] {
  const out: string[] = [];
  for (const [name, want] of Object.entries(expected)) {
    const raw = a.headers?.[name.toLowerCase()];
    const got = Array.isArray(raw) ? raw.join(', ') : raw;
    if (got === undefined) out.push(`no ${name} header (want one holding ${JSON.stringify(want)})`);
    else if (!got.toLowerCase().includes(want.toLowerCase()))
      out.push(`${name}: ${JSON.stringify(got)} does not hold ${JSON.stringify(want)}`);
  }
  return out;
}

/**
 * What is wrong with the routed answer's status and body, or undefined: 200 and the expected body; with
 * the scenario's `gzip`, `Content-Encoding: gzip` exactly and a body that gunzips to the expected one.
 */
export function bodyProblem(s: Scenario, a: Answer): string | undefined {
  const want = `want 200 ${JSON.stringify(s.expectBody.slice(0, 80))}`;
  if (a.status !== 200) return `gave ${shown(a)}, ${want}`;
  if (s.gzip !== true) return a.body === s.expectBody ? undefined : `gave ${shown(a)}, ${want}`;
  const encoding = a.headers?.['content-encoding'];
  if (encoding !== 'gzip') return `Content-Encoding ${JSON.stringify(encoding)}, want "gzip"`;
  let plain: string;
  try {
    plain = gunzipSync(a.bytes ?? Buffer.alloc(0)).toString('utf8');
  } catch (err) {
    return `the body does not gunzip: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (plain === s.expectBody) return undefined;
  return `the body gunzips to ${plain.length} bytes that differ from the ${s.expectBody.length}-byte page`;
}

/** Whether the routed request gets the backend's answer with the expected headers (polled at start). */
export function routedOk(s: Scenario, port: number): () => Promise<boolean> {
  return async () => {
    const a = await httpGet(port, s.host, s.path, 2000, { headers: s.requestHeaders });
    return bodyProblem(s, a) === undefined && headerProblems(a, s.expectHeaders).length === 0;
  };
}

async function extraProblem(c: ExtraCheck, s: Scenario, port: number): Promise<string | undefined> {
  const a = await httpGet(port, c.host, s.path, 5000, { method: c.method ?? 'GET', headers: c.headers });
  const what = `${c.what} (${c.method ?? 'GET'} ${c.host}${s.path})`;
  if (a.status !== c.status) return `${what} gave ${shown(a)}, want ${c.status}`;
  if (a.body.startsWith('xb=')) return `${what} reached the backend`;
  const problems = headerProblems(a, c.expectHeaders);
  return problems.length > 0 ? `${what}: ${problems.join('; ')}` : undefined;
}

/** Checks the routing of a scenario; a readable reason when a check fails, undefined when all pass. */
export async function checkRouting(s: Scenario, port: number): Promise<string | undefined> {
  const a = await httpGet(port, s.host, s.path, 5000, { headers: s.requestHeaders });
  const body = bodyProblem(s, a);
  if (body !== undefined) return `routing check failed: ${s.host}${s.path}: ${body}`;
  const headers = headerProblems(a, s.expectHeaders);
  if (headers.length > 0) return `routing check failed: ${s.host}${s.path}: ${headers.join('; ')}`;
  const miss = await httpGet(port, UNKNOWN_HOST, s.path, 5000, { headers: s.requestHeaders });
  if (miss.status === 200 && miss.body.startsWith('xb=')) {
    return `routing check failed: unknown host ${UNKNOWN_HOST} reached the backend`;
  }
  for (const c of s.checks ?? []) {
    const problem = await extraProblem(c, s, port);
    if (problem !== undefined) return `routing check failed: ${problem}`;
  }
  return undefined;
}
