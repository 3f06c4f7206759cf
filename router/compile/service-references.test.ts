import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type DynamicConfigInput, DynamicConfigSchema } from '../../config/dynamic.ts';
import { silentLogger } from '../../core/log.ts';
import { UpstreamPools } from '../proxy/upstream-pools.ts';
import { merge } from '../reload/merge.ts';
import { compile, type RoutingTable } from './compile.ts';

// A middleware naming a service (errors.service): checked like a chain member at resolve time, handed its
// service's handler when built, and rebuilt when that service is.

const entryPoints = [{ name: 'web', middlewares: [], isDefault: true }];
let tables: RoutingTable[] = [];
afterEach(() => {
  for (const t of tables) for (const s of t.services.values()) s.close();
  tables = [];
});

function run(configs: Record<string, DynamicConfigInput>, previous?: RoutingTable) {
  const snaps = Object.entries(configs).map(([provider, c]) => ({
    provider,
    config: DynamicConfigSchema.parse(c),
    diagnostics: [],
  }));
  const out = compile(merge(snaps), {
    entryPoints,
    pools: new UpstreamPools(),
    sideTraffic: new Agent(),
    logger: silentLogger(),
    previousServices: previous?.serviceCache ?? new Map(),
    ...(previous?.middlewareCache && { previousMiddlewares: previous.middlewareCache }),
  });
  tables.push(out.table);
  return out;
}

const svc = (port = 1) => ({ loadBalancer: { servers: [{ url: `http://127.0.0.1:${port}` }] } });
const errorsMw = (service: string) => ({ errors: { status: ['500-599'], service, query: '/{status}' } });

function summary(out: ReturnType<typeof run>) {
  return {
    routers: Object.fromEntries([...out.table.info.routers].map(([q, r]) => [q, r.status])),
    middlewares: Object.fromEntries(
      [...out.table.info.middlewares].map(([q, m]) => [q, { status: m.status, error: m.error }]),
    ),
    diagnostics: out.diagnostics.map((d) => ({ code: d.code, subject: d.subject, message: d.message })),
  };
}

describe('compile: middlewares that name a service', () => {
  it('a missing service disables the middleware and its routers, with a diagnostic naming it; nothing else', () => {
    const message =
      'middleware "e@file": errors.service names "ghost@file", which does not exist; define that service or name another';
    expect(
      summary(
        run({
          file: {
            http: {
              routers: {
                uses: { rule: 'Host(`a`)', service: 's', middlewares: ['e'] },
                plain: { rule: 'Host(`b`)', service: 's' },
              },
              services: { s: svc() },
              middlewares: { e: errorsMw('ghost') },
            },
          },
        }),
      ),
    ).toEqual({
      routers: { 'uses@file': 'disabled', 'plain@file': 'enabled' },
      middlewares: { 'e@file': { status: 'disabled', error: [message] } },
      diagnostics: [
        { code: 'MIDDLEWARE_INVALID', subject: 'e@file', message },
        {
          code: 'ROUTER_DISABLED_DEPENDENCY',
          subject: 'uses@file',
          message: `router "uses@file": middleware "e@file" is disabled: ${message}`,
        },
      ],
    });
  });

  it("resolves in the middleware's provider, or across providers when qualified", () => {
    const out = run({
      file: { http: { services: { pages: svc() } } },
      docker: {
        http: {
          routers: {
            local: { rule: 'Host(`a`)', service: 's', middlewares: ['own'] },
            cross: { rule: 'Host(`b`)', service: 's', middlewares: ['other'] },
          },
          services: { s: svc(), pages: svc(2) },
          middlewares: { own: errorsMw('pages'), other: errorsMw('pages@file') },
        },
      },
    });
    expect(summary(out).diagnostics).toEqual([]);
    expect(summary(out).routers).toEqual({ 'local@docker': 'enabled', 'cross@docker': 'enabled' });
  });

  it('a disabled service disables the middleware, saying why', () => {
    const out = run({
      file: {
        http: {
          routers: { r: { rule: 'Host(`a`)', service: 's', middlewares: ['e'] } },
          services: { s: svc(), pages: { weighted: { services: [{ name: 'nope' }] } } },
          middlewares: { e: errorsMw('pages') },
        },
      },
    });
    const e = out.diagnostics.find((d) => d.subject === 'e@file');
    expect(e?.code).toBe('MIDDLEWARE_INVALID');
    expect(e?.message).toContain(
      'errors.service "pages@file" is disabled: service "pages@file": weighted.services',
    );
    expect(out.table.info.routers.get('r@file')?.status).toBe('disabled');
  });

  it('keeps the instance while its service is unchanged and rebuilds it when the service is', () => {
    const config = (port: number) => ({
      file: {
        http: {
          routers: { r: { rule: 'Host(`a`)', service: 's', middlewares: ['e'] } },
          services: { s: svc(), pages: svc(port) },
          middlewares: { e: errorsMw('pages') },
        },
      },
    });
    const first = run(config(2)).table;
    const same = run(config(2), first).table;
    const changed = run(config(3), same).table;
    const instance = (t: RoutingTable) => t.middlewareCache?.get('e@file');
    expect(instance(first)).toBeDefined();
    expect(instance(same)).toBe(instance(first));
    expect(instance(changed)).not.toBe(instance(same));
    expect(instance(changed)?.services[0]).toBe(changed.services.get('pages@file')?.handler);
  });
});
