import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseExposition, sampleValue } from '../../test/helpers/exposition.ts';
import { headerValues, SubjectMap, seriesKey } from './request-cells.ts';
import { registerRequestFamilies } from './request-families.ts';

const BOUNDS = [0.1, 0.3, 1.2, 5];

describe('seriesKey: distinct for every code, method and protocol', () => {
  it('never collides over the label space', () => {
    const seen = new Set<number>();
    for (let code = 100; code < 1000; code++)
      for (let m = 0; m < 11; m++) for (let p = 0; p < 5; p++) seen.add(seriesKey(code, m, p));
    expect(seen.size).toBe(900 * 11 * 5);
  });
});

describe('headerValues: the label headers of a request, in label order, empty when absent', () => {
  it.each<[Record<string, string | string[]>, string]>([
    [{ 'user-agent': 'ua', 'x-tenant': 't1' }, 'ua\u0000t1'],
    [{ 'x-tenant': 't1' }, '\u0000t1'],
    [{}, '\u0000'],
    [{ 'user-agent': ['a', 'b'] }, 'a\u0000'],
  ])('%j', (headers, expected) => {
    expect(headerValues(headers, { names: ['agent', 'tenant'], headers: ['user-agent', 'x-tenant'] })).toBe(
      expected,
    );
  });
});

describe('request families: an exporter whose buckets are a subset of the cells', () => {
  // Prometheus (0.1, 5) and OTLP (0.05, 0.1, 1, 5) export from the same cells, counted over both sets.
  it.each<[string, number[], Array<[string, number]>]>([
    [
      'prometheus',
      [0.1, 5],
      [
        ['0.1', 2],
        ['5', 3],
        ['+Inf', 4],
      ],
    ],
    [
      'otlp',
      [0.05, 0.1, 1, 5],
      [
        ['0.05', 1],
        ['0.1', 2],
        ['1', 2],
        ['5', 3],
        ['+Inf', 4],
      ],
    ],
  ])('%s', async (_name, exported, expected) => {
    const cells = [0.05, 0.1, 1, 5];
    const map = new SubjectMap(cells);
    const s = map.create('web', { entrypoint: 'web' });
    for (const sec of [0.01, 0.07, 3, 9]) s.add(seriesKey(200, 0, 0), 200, 0, 0, sec, 0, 0, undefined);
    const registry = new Registry();
    registerRequestFamilies(registry, map, { prefix: 'x_', what: 'x' }, { exported, cells }, undefined);
    const samples = parseExposition(await registry.metrics());
    const buckets = samples
      .filter((x) => x.name === 'x_request_duration_seconds_bucket')
      .map((x) => [x.labels.le, x.value]);
    expect(buckets).toEqual(expected);
  });
});

describe('request families: cells exported with Traefik label names', () => {
  it('a histogram with cumulative buckets, counters per code/method/protocol, header labels', async () => {
    const map = new SubjectMap(BOUNDS);
    const s = map.create('web', { entrypoint: 'web' });
    const key = seriesKey(200, 0, 0);
    // 0.1 is in the 0.1 bucket (le is inclusive); 6 is only in +Inf.
    for (const [sec, ua] of [
      [0.05, 'a'],
      [0.1, 'a'],
      [0.2, 'b'],
      [6, 'a'],
    ] as const)
      s.add(key, 200, 0, 0, sec, 10, 100, `${ua}`);
    s.add(seriesKey(503, 2, 1), 503, 2, 1, 0.5, 0, 7, 'a');
    const registry = new Registry();
    registerRequestFamilies(
      registry,
      map,
      { prefix: 'x_entrypoint_', what: 'an entrypoint' },
      { exported: BOUNDS, cells: BOUNDS },
      {
        names: ['useragent'],
        headers: ['user-agent'],
      },
    );
    const samples = parseExposition(await registry.metrics());
    const ok = { entrypoint: 'web', code: '200', method: 'GET', protocol: 'http' };
    expect(sampleValue(samples, 'x_entrypoint_requests_total', { ...ok, useragent: 'a' })).toBe(3);
    expect(sampleValue(samples, 'x_entrypoint_requests_total', { ...ok, useragent: 'b' })).toBe(1);
    expect(
      sampleValue(samples, 'x_entrypoint_requests_total', {
        entrypoint: 'web',
        code: '503',
        method: 'POST',
        protocol: 'websocket',
        useragent: 'a',
      }),
    ).toBe(1);
    const buckets = samples
      .filter((x) => x.name === 'x_entrypoint_request_duration_seconds_bucket' && x.labels.code === '200')
      .map((x) => [x.labels.le, x.value]);
    expect(buckets).toEqual([
      ['0.1', 2],
      ['0.3', 3],
      ['1.2', 3],
      ['5', 3],
      ['+Inf', 4],
    ]);
    expect(sampleValue(samples, 'x_entrypoint_request_duration_seconds_sum', ok)).toBeCloseTo(6.35);
    expect(sampleValue(samples, 'x_entrypoint_request_duration_seconds_count', ok)).toBe(4);
    expect(sampleValue(samples, 'x_entrypoint_requests_bytes_total', ok)).toBe(40);
    expect(sampleValue(samples, 'x_entrypoint_responses_bytes_total', ok)).toBe(400);
    // The header labels are on requests_total only, as in Traefik.
    expect(samples.some((x) => x.name !== 'x_entrypoint_requests_total' && 'useragent' in x.labels)).toBe(
      false,
    );
  });

  it('TLS requests by version and cipher', async () => {
    const map = new SubjectMap(BOUNDS);
    const s = map.create('svc@file', { service: 'svc@file' });
    const tls = { version: '1.3', cipher: 'TLS_AES_128_GCM_SHA256' };
    s.addTls(tls);
    s.addTls(tls);
    const registry = new Registry();
    registerRequestFamilies(
      registry,
      map,
      { prefix: 'x_service_', what: 'a service' },
      { exported: BOUNDS, cells: BOUNDS },
      undefined,
    );
    const samples = parseExposition(await registry.metrics());
    expect(
      sampleValue(samples, 'x_service_requests_tls_total', {
        service: 'svc@file',
        tls_version: '1.3',
        tls_cipher: 'TLS_AES_128_GCM_SHA256',
      }),
    ).toBe(2);
  });
});

describe('SubjectMap: items gone from the configuration are exported once more, then dropped', () => {
  it('retain marks, sweep drops, a subject used again is created anew', () => {
    const map = new SubjectMap(BOUNDS);
    map.create('a', { router: 'a' });
    map.create('b', { router: 'b' });
    map.retain((k) => k === 'a');
    expect([...map.subjects.keys()]).toEqual(['a', 'b']);
    map.sweep();
    expect([...map.subjects.keys()]).toEqual(['a']);
  });
});
