import { describe, expect, it } from 'vitest';
import { keep, type Listed, paginate, sortListed } from './listing.ts';

const q = (text: string) => new URLSearchParams(text);

describe('paginate (Traefik pkg/api/criterion.go)', () => {
  const items = Array.from({ length: 7 }, (_, i) => i);
  it.each([
    { query: '', out: { ok: true, items, nextPage: 1 } },
    { query: 'per_page=3', out: { ok: true, items: [0, 1, 2], nextPage: 2 } },
    { query: 'per_page=3&page=2', out: { ok: true, items: [3, 4, 5], nextPage: 3 } },
    { query: 'per_page=3&page=3', out: { ok: true, items: [6], nextPage: 1 } },
    { query: 'per_page=7', out: { ok: true, items, nextPage: 1 } },
    { query: 'per_page=3&page=4', out: { ok: false, message: 'invalid request: page: 4, per_page: 3' } },
    { query: 'per_page=0', out: { ok: false, message: 'invalid request: per_page: 0' } },
    { query: 'per_page=-2', out: { ok: false, message: 'invalid request: per_page: -2' } },
    // Go's Atoi fails on text, and Traefik's message then says 0.
    { query: 'page=abc', out: { ok: false, message: 'invalid request: page: 0' } },
    { query: 'page=1.5', out: { ok: false, message: 'invalid request: page: 0' } },
  ])('$query', ({ query, out }) => {
    expect(paginate(items, q(query))).toEqual(out);
  });

  it('an empty list has one empty page, and no second one', () => {
    expect(paginate([], q(''))).toEqual({ ok: true, items: [], nextPage: 1 });
    expect(paginate([], q('page=2'))).toEqual({
      ok: false,
      message: 'invalid request: page: 2, per_page: 100',
    });
  });
});

const router = (name: string, extra: Partial<Listed> = {}): Listed => ({
  name,
  provider: name.split('@')[1] ?? '',
  status: 'enabled',
  ...extra,
});

describe('keep: the list filters', () => {
  const routers: Listed[] = [
    router('web@file', { rule: 'Host(`shop.test`)', service: 'shop', middlewares: ['auth'] }),
    router('api@docker', { rule: 'PathPrefix(`/v1`)', service: 'backend@file', status: 'disabled' }),
    router('dash@file', {
      rule: 'Host(`x`)',
      service: 'api@internal',
      middlewares: ['auth@file'],
      status: 'warning',
    }),
  ];
  it.each([
    { query: '', out: ['web@file', 'api@docker', 'dash@file'] },
    { query: 'status=disabled', out: ['api@docker'] },
    { query: 'status=WARNING', out: ['dash@file'] },
    // search looks in the name and the rule, case-insensitively
    { query: 'search=SHOP', out: ['web@file'] },
    { query: 'search=docker', out: ['api@docker'] },
    // serviceName: a qualified service must match exactly; an unqualified one matches the name part
    { query: 'serviceName=shop@file', out: ['web@file'] },
    { query: 'serviceName=backend@file', out: ['api@docker'] },
    { query: 'serviceName=backend', out: [] },
    { query: 'serviceName=api@internal', out: ['dash@file'] },
    // middlewareName: as the router writes it
    { query: 'middlewareName=auth', out: ['web@file'] },
    { query: 'middlewareName=auth@file', out: ['dash@file'] },
    { query: 'provider=file', out: ['web@file', 'dash@file'] },
    { query: 'status=enabled&search=dash', out: [] },
  ])('routers ?$query', ({ query, out }) => {
    expect(routers.filter((r) => keep(r, 'routers', q(query))).map((r) => r.name)).toEqual(out);
  });

  it('services and middlewares search the name only, and ignore router filters', () => {
    const svc = router('shop@file', { rule: 'Host(`other`)' });
    expect(keep(svc, 'services', q('search=other'))).toBe(false);
    expect(keep(svc, 'services', q('search=SHO'))).toBe(true);
    expect(keep(svc, 'middlewares', q('serviceName=x&middlewareName=y'))).toBe(true);
  });
});

describe('sortListed (Traefik pkg/api/sort.go)', () => {
  const items = (): Listed[] => [
    router('b@file', { priority: 10, entryPoints: ['web'], status: 'enabled' }),
    router('a@docker', { priority: 30, entryPoints: ['web', 'websecure'], status: 'disabled' }),
    router('c@file', { priority: 10, entryPoints: [], status: 'enabled' }),
  ];
  it.each([
    { query: '', out: ['a@docker', 'b@file', 'c@file'] },
    { query: 'direction=desc', out: ['c@file', 'b@file', 'a@docker'] },
    { query: 'sortBy=priority', out: ['b@file', 'c@file', 'a@docker'] },
    // equal keys fall back to the name, in the same direction
    { query: 'sortBy=priority&direction=desc', out: ['a@docker', 'c@file', 'b@file'] },
    { query: 'sortBy=entryPoints', out: ['c@file', 'b@file', 'a@docker'] },
    { query: 'sortBy=provider', out: ['a@docker', 'b@file', 'c@file'] },
    { query: 'sortBy=status', out: ['a@docker', 'b@file', 'c@file'] },
    { query: 'sortBy=unknown', out: ['a@docker', 'b@file', 'c@file'] },
  ])('routers ?$query', ({ query, out }) => {
    expect(sortListed(items(), 'routers', q(query)).map((i) => i.name)).toEqual(out);
  });

  it('services sort by their number of servers', () => {
    const svcs = [
      router('x@file', { loadBalancer: { servers: [{}, {}] } }),
      router('y@file', { loadBalancer: { servers: [{}] } }),
      router('z@file', {}),
    ];
    expect(sortListed(svcs, 'services', q('sortBy=servers')).map((i) => i.name)).toEqual([
      'z@file',
      'y@file',
      'x@file',
    ]);
  });
});
