import { describe, expect, it } from 'vitest';
import { parseSamples, rates, requestCounts } from './metrics.js';

const EXPOSITION = `# HELP wharf_router_requests_total How many HTTP requests are processed on a router.
# TYPE wharf_router_requests_total counter
wharf_router_requests_total{code="200",method="GET",protocol="http",router="web@docker",service="web@docker"} 90
wharf_router_requests_total{code="502",method="GET",protocol="http",router="web@docker",service="web@docker"} 10
wharf_router_requests_total{code="200",method="POST",protocol="http",router="api@file",service="api@file"} 5
wharf_service_requests_total{code="200",method="GET",protocol="http",service="web@docker"} 100 1712345678000
wharf_entrypoint_requests_total{code="404",entrypoint="web",method="GET",protocol="http"} 3
wharf_entrypoint_requests_total{code="200",entrypoint="web",method="GET",protocol="http"} 97
wharf_router_request_duration_seconds_bucket{le="0.1",router="web@docker"} 12
`;

describe('parseSamples', () => {
  it.each([
    ['plain', 'm 1', [{ name: 'm', labels: {}, value: 1 }]],
    [
      'labels and a timestamp',
      'm{a="x",b="y"} 2.5 1700000000',
      [{ name: 'm', labels: { a: 'x', b: 'y' }, value: 2.5 }],
    ],
    ['escapes', 'm{a="q\\"uote\\\\ and \\n"} 3', [{ name: 'm', labels: { a: 'q"uote\\ and \n' }, value: 3 }]],
    ['a comma and braces in a value', 'm{a="x,}{y"} 4', [{ name: 'm', labels: { a: 'x,}{y' }, value: 4 }]],
    ['a trailing comma', 'm{a="x",} 5', [{ name: 'm', labels: { a: 'x' }, value: 5 }]],
    ['other metrics and comments', '# TYPE m counter\nother 1\nm_total 2', []],
    ['an unterminated value', 'm{a="x} 1', []],
    ['not a number', 'm NaNa', []],
  ])('%s', (_what, text, expected) => {
    expect(parseSamples(text, new Set(['m']))).toEqual(expected);
  });
});

describe('requestCounts', () => {
  it('sums the request counters by router, service and entryPoint, with their 5xx', () => {
    const counts = requestCounts(EXPOSITION);
    expect(counts).toEqual({
      routers: new Map([
        ['web@docker', { total: 100, errors: 10 }],
        ['api@file', { total: 5, errors: 0 }],
      ]),
      services: new Map([['web@docker', { total: 100, errors: 0 }]]),
      entrypoints: new Map([['web', { total: 100, errors: 0 }]]),
    });
  });

  it('reads Traefik-named counters too', () => {
    expect(requestCounts('traefik_service_requests_total{code="500",service="s@file"} 4')?.services).toEqual(
      new Map([['s@file', { total: 4, errors: 4 }]]),
    );
  });

  it('is undefined for a text without request counters', () => {
    expect(requestCounts('# nothing\nprocess_cpu_seconds_total 1\n')).toBeUndefined();
    expect(requestCounts('<html>not found</html>')).toBeUndefined();
  });

  it('is empty, not undefined, when the counters are declared but have no sample yet', () => {
    expect(requestCounts('# TYPE wharf_router_requests_total counter\n')?.routers.size).toBe(0);
  });
});

describe('rates', () => {
  const at = (total: number, errors = 0) => ({
    routers: new Map([['r', { total, errors }]]),
    services: new Map(),
    entrypoints: new Map(),
  });
  it.each([
    ['an increase', at(100, 10), at(150, 20), 5, { total: 10, errors: 2 }],
    ['no change', at(100), at(100), 5, { total: 0, errors: 0 }],
    ['a counter reset (Wharf restarted)', at(100), at(20), 10, { total: 2, errors: 0 }],
  ])('%s', (_what, before, now, seconds, expected) => {
    expect(rates(before, now, seconds).routers.get('r')).toEqual(expected);
  });

  it('counts an item new since the last reading from zero', () => {
    const before = { routers: new Map(), services: new Map(), entrypoints: new Map() };
    expect(rates(before, at(30), 10).routers.get('r')).toEqual({ total: 3, errors: 0 });
  });
});
