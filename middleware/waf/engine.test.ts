import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureModsecurity } from '../../test/helpers/native.ts';
import { type ModSecurityAddon, modsecurityEngine, type RulesHandle, type StepResult } from './engine.ts';
import { ruleMatches } from './match-log.ts';
import { leaseRules, type RulesLease } from './rules-cache.ts';

// The addon over libmodsecurity3 with Debian's CRS, as the waf middleware runs it.

const skip = await ensureModsecurity();

const HEADERS = [
  'Host',
  'app.test',
  'User-Agent',
  'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0',
  'Accept',
  'text/html',
];

let addon: ModSecurityAddon;
let lease: RulesLease;

async function evaluate(
  rules: RulesHandle,
  uri: string,
  extra: { method?: string; headers?: string[]; body?: Buffer } = {},
): Promise<{ request: StepResult; ids: string[] }> {
  const tx = addon.newTransaction(rules, 'test-id');
  const request = await addon.processRequest(
    tx,
    '127.0.0.1',
    40000,
    '127.0.0.1',
    80,
    extra.method ?? 'GET',
    uri,
    '1.1',
    extra.headers ?? HEADERS,
    extra.body ?? null,
  );
  const last = await addon.finish(tx);
  const ids = ruleMatches([...request.messages, request.log, ...last.messages]).map((m) => m.id);
  return { request, ids };
}

describe.skipIf(skip !== undefined)('the ModSecurity addon with the CRS', () => {
  beforeAll(() => {
    const loaded = modsecurityEngine();
    if (!('addon' in loaded)) throw new Error(loaded.reason);
    addon = loaded.addon;
    lease = leaseRules(addon, { crs: {} });
  });
  afterAll(() => lease?.release());

  it('blocks a SQL injection in the query with 403, 942100 (libinjection) among the ids', async () => {
    const { request, ids } = await evaluate(lease.rules, "/?id=1'%20or%201=1--");
    expect(request).toMatchObject({ disruptive: true, status: 403 });
    expect(ids).toContain('942100');
    expect(ids).toContain('949110');
  });

  it('passes a benign request with no rule matched', async () => {
    const { request, ids } = await evaluate(lease.rules, '/search?q=blue+shoes&page=2');
    expect(request).toMatchObject({ disruptive: false, status: 200 });
    expect(ids).toEqual([]);
  });

  it('runs @detectXSS (941100) on arguments', async () => {
    const { request, ids } = await evaluate(lease.rules, '/?q=%3Cscript%3Ealert(1)%3C/script%3E');
    expect(request.disruptive).toBe(true);
    expect(ids).toContain('941100');
  });

  it('parses urlencoded and JSON bodies with the engine’s own processors', async () => {
    const form = await evaluate(lease.rules, '/login', {
      method: 'POST',
      headers: [...HEADERS, 'Content-Type', 'application/x-www-form-urlencoded', 'Content-Length', '27'],
      body: Buffer.from("user=admin'%20or%201=1--&x=1"),
    });
    expect(form.ids).toContain('942100');
    const json = await evaluate(lease.rules, '/api', {
      method: 'POST',
      headers: [...HEADERS, 'Content-Type', 'application/json', 'Content-Length', '30'],
      body: Buffer.from(JSON.stringify({ q: "1' or 1=1--" })),
    });
    expect(json.ids).toContain('942100');
  });

  it('keeps the event loop running while rules are evaluated on the engine threads', async () => {
    // A timer scheduled before the evaluations fires while they are still pending: the work is off-loop.
    let ticks = 0;
    let pendingAtTick = -1;
    let pending = 0;
    const timer = setInterval(() => {
      ticks++;
      if (pendingAtTick < 0 && pending > 0) pendingAtTick = pending;
    }, 0);
    const body = Buffer.from(
      JSON.stringify({ items: Array.from({ length: 20 }, (_, i) => ({ i, name: `item ${i}` })) }),
    );
    const runs = Array.from({ length: 8 }, () => {
      pending++;
      return evaluate(lease.rules, '/api?x=1', {
        method: 'POST',
        headers: [...HEADERS, 'Content-Type', 'application/json', 'Content-Length', String(body.length)],
        body,
      }).finally(() => pending--);
    });
    await Promise.all(runs);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    expect(pendingAtTick).toBeGreaterThan(0);
  });

  it('gives each of many concurrent transactions its own result (shared rules, engine threads)', async () => {
    const uris = Array.from({ length: 12 }, (_, i) =>
      i % 2 === 0 ? `/?id=${i}'%20or%201=1--` : `/?page=${i}`,
    );
    const results = await Promise.all(uris.map((uri) => evaluate(lease.rules, uri)));
    results.forEach((r, i) => {
      expect(r.request.disruptive).toBe(i % 2 === 0);
      expect(r.ids.includes('942100')).toBe(i % 2 === 0);
    });
  });

  it('refuses a body without files over 128 KiB with 400 (Debian’s SecRequestBodyNoFilesLimit), unless inlineRules raise it', async () => {
    const body = Buffer.from(JSON.stringify({ blob: 'a'.repeat(200_000) }));
    const headers = [...HEADERS, 'Content-Type', 'application/json', 'Content-Length', String(body.length)];
    const refused = await evaluate(lease.rules, '/api', { method: 'POST', headers, body });
    expect(refused.request).toMatchObject({ disruptive: true, status: 400 });
    expect(refused.ids).toContain('200002');
    const raised = leaseRules(addon, { crs: {}, inlineRules: 'SecRequestBodyNoFilesLimit 1048576' });
    try {
      expect(
        (await evaluate(raised.rules, '/api', { method: 'POST', headers, body })).request.disruptive,
      ).toBe(false);
    } finally {
      raised.release();
    }
  });

  it('reports a rules error with the file and line', () => {
    expect(() => addon.rulesFromText('SecRule ARGS "@rx a" "id:1,phase:2,deny,nosuchaction"')).toThrow(
      /nosuchaction|Line/,
    );
  });

  it('compiles equal options once and shares the rules set', () => {
    const again = leaseRules(addon, { crs: {} });
    expect(again.rules).toBe(lease.rules);
    again.release();
  });
});
