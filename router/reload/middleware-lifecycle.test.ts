import { ServerResponse } from 'node:http';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type DynamicConfigInput, DynamicConfigSchema } from '../../config/dynamic.ts';
import { silentLogger } from '../../core/log.ts';
import type { Clock } from '../../middleware/clock.ts';
import type { MiddlewareDefinition } from '../../middleware/middleware.ts';
import { type MiddlewareRegistry, middlewareRegistry } from '../../middleware/registry.ts';
import type { Snapshot } from '../../providers/provider.ts';
import { fakeRequest } from '../../test/helpers/middleware.ts';
import { compile } from '../compile/compile.ts';
import { UpstreamPools } from '../proxy/upstream-pools.ts';
import { merge } from './merge.ts';
import { Reloader } from './reloader.ts';
import { TableRef } from './table-ref.ts';

// The middleware runtime across generations: instances are reused while their options are unchanged, keep
// their state through unrelated reloads, are per router when asked, and are closed exactly once, after the
// last generation using them drained.

const clock: Clock = { now: () => 0, setTimeout: () => ({ cancel: () => {} }) };

/** A middleware that counts the requests its instance saw and answers with the count (never reaches the service). */
function counting(
  log: { created: string[]; closed: string[] },
  perRouter = false,
): MiddlewareDefinition<unknown> {
  return {
    perRouter,
    create: (_options, ctx) => {
      const id = `${ctx.name}${ctx.router ? ` for ${ctx.router}` : ''} #${log.created.length + 1}`;
      if (ctx.clock !== clock) throw new Error('the context does not carry the clock compile was given');
      log.created.push(id);
      let count = 0;
      return {
        wrap: () => async (_req, res) => {
          count++;
          res.setHeader('x-count', `${id}: ${count}`);
          res.end();
        },
        close: () => {
          log.closed.push(id);
        },
      };
    },
  };
}

let stops: Array<() => void> = [];
afterEach(() => {
  for (const stop of stops) stop();
  stops = [];
});

/** A TableRef and Reloader as the router wires them, with `headers` replaced by `definition`. */
function setup(definition: MiddlewareDefinition<unknown>) {
  const registry: MiddlewareRegistry = { ...middlewareRegistry, headers: definition };
  const deps = {
    entryPoints: [{ name: 'web', middlewares: [], isDefault: true }],
    pools: new UpstreamPools(),
    sideTraffic: new Agent(),
    logger: silentLogger(),
    middlewares: registry,
    clock,
  };
  const empty = merge([]);
  const tableRef = new TableRef(compile(empty, { ...deps, previousServices: new Map() }).table, {
    maxDrainMs: 60_000,
  });
  const reloader = new Reloader(tableRef, deps, silentLogger());
  stops.push(() => {
    reloader.heapTrim.stop();
    tableRef.closeAll();
  });
  /** Reloads with `config`; false when the reload failed and the serving generation stayed. */
  const tryApply = (config: DynamicConfigInput) => {
    const snap: Snapshot = { provider: 'file', config: DynamicConfigSchema.parse(config), diagnostics: [] };
    return reloader.apply(new Map([['file', snap]]));
  };
  const apply = async (config: DynamicConfigInput) => expect(await tryApply(config)).toBe(true);
  /** Sends a request for `host` through the current generation's route; returns what the middleware answered. */
  const hit = async (host: string) => {
    const route = tableRef
      .current()
      .table.entryPoints.get('web')
      ?.match({ host, path: '/', rawQuery: '', method: 'GET', headers: {}, clientIp: '127.0.0.1' });
    const req = fakeRequest('/', { headers: { host } });
    const res = new ServerResponse(req);
    await route?.value.handler(req, res);
    return res.getHeader('x-count');
  };
  return { tableRef, apply, tryApply, hit };
}

const svc = { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }] } };
const config = (
  routers: Record<string, { rule: string; middlewares?: string[] }>,
  m: Record<string, string> = { X: '1' },
) => ({
  http: {
    routers: Object.fromEntries(Object.entries(routers).map(([k, r]) => [k, { ...r, service: 's' }])),
    services: { s: svc },
    middlewares: { m: { headers: { customRequestHeaders: m } }, c: { chain: { middlewares: ['m'] } } },
  },
});

describe('middleware instances across generations', () => {
  it('keep their state through an unrelated reload and are closed once, after the old generation drained', async () => {
    const log = { created: [] as string[], closed: [] as string[] };
    const { tableRef, apply, hit } = setup(counting(log));
    await apply(config({ a: { rule: 'Host(`a`)', middlewares: ['m'] }, b: { rule: 'Host(`b`)' } }));
    expect(await hit('a')).toBe('m@file #1: 1');

    // Another router changes (a container came or went): the instance and its count stay.
    await apply(
      config({ a: { rule: 'Host(`a`)', middlewares: ['m'] }, b: { rule: 'Host(`b`) || Host(`b2`)' } }),
    );
    expect(await hit('a')).toBe('m@file #1: 2');
    expect(log).toEqual({ created: ['m@file #1'], closed: [] });

    // The middleware goes away while a request still runs on the generation that uses it.
    const draining = tableRef.current();
    draining.enter();
    await apply(config({ b: { rule: 'Host(`b`)' } }));
    expect(log.closed).toEqual([]);
    draining.leave();
    expect(log).toEqual({ created: ['m@file #1'], closed: ['m@file #1'] });
    await apply(config({ b: { rule: 'Host(`b`)' } }));
    tableRef.closeAll();
    expect(log).toEqual({ created: ['m@file #1'], closed: ['m@file #1'] });
  });

  it('changed options build a new instance; the old one is closed once its generation drained', async () => {
    const log = { created: [] as string[], closed: [] as string[] };
    const { apply, hit } = setup(counting(log));
    await apply(config({ a: { rule: 'Host(`a`)', middlewares: ['c'] } }));
    expect(await hit('a')).toBe('m@file #1: 1');
    await apply(config({ a: { rule: 'Host(`a`)', middlewares: ['c'] } }, { X: '2' }));
    expect(await hit('a')).toBe('m@file #2: 1');
    // The chain holding it is rebuilt too (its member changed); the stateless chain has nothing to close.
    expect(log).toEqual({ created: ['m@file #1', 'm@file #2'], closed: ['m@file #1'] });
  });

  it('a per-router definition gets one instance per router, also inside a shared chain', async () => {
    const log = { created: [] as string[], closed: [] as string[] };
    const { apply, hit } = setup(counting(log, true));
    await apply(
      config({ a: { rule: 'Host(`a`)', middlewares: ['c'] }, b: { rule: 'Host(`b`)', middlewares: ['c'] } }),
    );
    expect([await hit('a'), await hit('a'), await hit('b')]).toEqual([
      'm@file for a@file #1: 1',
      'm@file for a@file #1: 2',
      'm@file for b@file #2: 1',
    ]);
    await apply(config({ a: { rule: 'Host(`a`)', middlewares: ['c'] } }));
    expect(await hit('a')).toBe('m@file for a@file #1: 3');
    expect(log).toEqual({
      created: ['m@file for a@file #1', 'm@file for b@file #2'],
      closed: ['m@file for b@file #2'],
    });
  });

  it('a reload that fails while provisioning closes the instances it built; the serving ones stay', async () => {
    const log = { created: [] as string[], closed: [] as string[] };
    const inner = counting(log);
    // Composing a chain of the changed options throws: an unexpected error in the middle of provisioning.
    const definition: MiddlewareDefinition<unknown> = {
      create: (options, ctx) => {
        const runtime = inner.create(options, ctx);
        const broken = JSON.stringify(options).includes('"X":"broken"');
        return broken
          ? {
              ...runtime,
              wrap: () => {
                throw new Error('cannot compose');
              },
            }
          : runtime;
      },
    };
    const { apply, tryApply, hit } = setup(definition);
    await apply(config({ a: { rule: 'Host(`a`)', middlewares: ['m'] } }));
    expect(await tryApply(config({ a: { rule: 'Host(`a`)', middlewares: ['m'] } }, { X: 'broken' }))).toBe(
      false,
    );
    expect(log).toEqual({ created: ['m@file #1', 'm@file #2'], closed: ['m@file #2'] });
    expect(await hit('a')).toBe('m@file #1: 1');
  });
});
