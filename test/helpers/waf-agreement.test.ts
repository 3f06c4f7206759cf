import { describe, expect, it } from 'vitest';
import type { CorpusRequest } from '../fixtures/waf-corpus/corpus-request.ts';
import { WAF_CORPUS } from '../fixtures/waf-corpus/waf-corpus.ts';
import { parseModsecAuditLog, parseWharfAuditLog } from './modsec-audit.ts';
import { corpusAddress, requestBytes } from './raw-http.ts';
import { bodyLength } from './recording-backend.ts';
import { compare, type Observation, type Row, summarize, verdictOf } from './waf-agreement.ts';

const req = (over: Partial<CorpusRequest> = {}): CorpusRequest => ({
  name: 'r',
  category: 'benign',
  method: 'GET',
  target: '/',
  ...over,
});
const obs = (reached: boolean, ruleIds: string[] = [], status = reached ? 200 : 403): Observation => ({
  status,
  reached,
  ruleIds,
});

describe('waf agreement: verdicts and comparison', () => {
  it.each([
    ['reached the backend', obs(true, ['920350']), 'pass'],
    ['stopped with rules', obs(false, ['942100', '949110']), 'waf'],
    ['stopped with none (the HTTP parser)', obs(false, [], 400), 'refused'],
  ] as const)('%s', (_, o, verdict) => {
    expect(verdictOf(o)).toBe(verdict);
  });

  it.each([
    ['same outcome and rules', obs(false, ['1', '2']), obs(false, ['1', '2']), true, true, [], []],
    ['same outcome, other rules', obs(true, ['1']), obs(true, ['2']), true, false, ['1'], ['2']],
    ['other outcome, same rules', obs(false, ['1']), obs(true, ['1']), false, true, [], []],
    ['parser refusal against a block', obs(false, [], 400), obs(false, ['9']), true, false, [], ['9']],
  ] as const)('%s', (_, reference, wharf, blockAgrees, rulesAgree, onlyReference, onlyWharf) => {
    const c = compare({ request: req(), reference, wharf });
    expect(c).toEqual({ blockAgrees, rulesAgree, onlyReference, onlyWharf });
  });

  it('summarises, counting rule agreement among requests both parsers accepted apart', () => {
    const rows: Row[] = [
      { request: req(), reference: obs(true), wharf: obs(true) },
      { request: req(), reference: obs(false, ['1']), wharf: obs(false, ['1', '2']) },
      { request: req(), reference: obs(false, [], 400), wharf: obs(true) },
    ];
    expect(summarize(rows)).toEqual({
      total: 3,
      blockAgree: 2,
      rulesAgree: 2,
      bothAgree: 1,
      inspected: 2,
      inspectedRulesAgree: 1,
    });
  });
});

describe('waf agreement: audit logs', () => {
  it('reads rule ids by client address from ModSecurity JSON lines, each id once', () => {
    const line = (ip: string, code: number, ids: string[]) =>
      JSON.stringify({
        transaction: {
          client_ip: ip,
          response: { http_code: code },
          messages: ids.map((ruleId) => ({ message: 'm', details: { ruleId } })),
        },
      });
    const text = [line('127.77.0.1', 403, ['930110', '949110', '930110']), line('127.77.0.2', 200, [])].join(
      '\n',
    );
    expect(Object.fromEntries(parseModsecAuditLog(`${text}\n`))).toEqual({
      '127.77.0.1': { ruleIds: ['930110', '949110'], status: 403 },
      '127.77.0.2': { ruleIds: [], status: 200 },
    });
  });

  it("reads rule ids by client address from Wharf's audit lines", () => {
    const text = JSON.stringify({
      clientIp: '127.77.0.3',
      action: 'blocked',
      status: 403,
      rules: [{ id: '949110' }, { id: '942100' }],
    });
    expect(parseWharfAuditLog(text).get('127.77.0.3')).toEqual({
      ruleIds: ['942100', '949110'],
      status: 403,
    });
  });
});

describe('waf agreement: corpus and raw requests', () => {
  it('has unique names, at least 150 requests, and attacks of every CRS family named', () => {
    const names = WAF_CORPUS.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    expect(WAF_CORPUS.length).toBeGreaterThanOrEqual(150);
    const cats = new Set(WAF_CORPUS.map((r) => r.category));
    for (const c of [
      'sqli',
      'xss',
      'lfi',
      'rfi',
      'rce',
      'php',
      'java',
      'protocol',
      'scanner',
      'benign',
    ] as const)
      expect(cats).toContain(c);
  });

  it('gives every request a source address of its own', () => {
    const addrs = WAF_CORPUS.map((_, i) => corpusAddress(i));
    expect(new Set(addrs).size).toBe(addrs.length);
    expect(corpusAddress(0)).toBe('127.77.0.1');
    expect(corpusAddress(200)).toBe('127.77.1.1');
  });

  it.each([
    [
      'a default request',
      req({ target: '/x?a=1' }),
      'GET /x?a=1 HTTP/1.1\r\nHost: app.example.test\r\nUser-Agent: ',
      'Accept: */*\r\nConnection: close\r\n\r\n',
    ],
    [
      'a body gets its length',
      req({ method: 'POST', contentType: 'application/json', body: '{"a":1}' }),
      'POST / HTTP/1.1\r\n',
      'Content-Type: application/json\r\nContent-Length: 7\r\nConnection: close\r\n\r\n{"a":1}',
    ],
    [
      'no Host, given length, own User-Agent, HTTP/1.0',
      req({
        host: null,
        version: 'HTTP/1.0',
        headers: [['User-Agent', 'x']],
        contentLength: '+3',
        body: 'a=1',
      }),
      'GET / HTTP/1.0\r\nAccept: */*\r\nUser-Agent: x\r\n',
      'Content-Length: +3\r\nConnection: close\r\n\r\na=1',
    ],
    [
      'no Content-Length at all',
      req({ method: 'POST', contentLength: null, bareHeaders: true, body: '0\r\n\r\n' }),
      'POST / HTTP/1.1\r\nHost: app.example.test\r\nConnection: close\r\n\r\n0\r\n\r\n',
      '',
    ],
  ] as const)('%s', (_, r, start, end) => {
    const text = requestBytes(r).toString('latin1');
    expect(text.startsWith(start)).toBe(true);
    expect(text.endsWith(end)).toBe(true);
  });
});

describe('waf agreement: the recording backend reads bodies', () => {
  const h = (pairs: [string, string][]) => new Map(pairs);
  it.each([
    ['no body', h([]), 'GET / HTTP/1.1', 0],
    ['a complete Content-Length body', h([['content-length', '3']]), 'a=1', 3],
    ['an incomplete one', h([['content-length', '5']]), 'a=1', -1],
    ['a complete chunked body', h([['transfer-encoding', 'chunked']]), '3\r\na=1\r\n0\r\n\r\nGET', 13],
    ['chunked with a trailer', h([['transfer-encoding', 'chunked']]), '1\r\na\r\n0\r\nX: y\r\n\r\n', 17],
    ['an incomplete chunked body', h([['transfer-encoding', 'chunked']]), '3\r\na=1\r\n', -1],
  ] as const)('%s', (_, headers, body, n) => {
    expect(bodyLength(headers, Buffer.from(body))).toBe(n);
  });
});
