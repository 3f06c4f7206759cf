import { describe, expect, it } from 'vitest';
import type { RoutingTable } from '../compile/compile.ts';
import type { ServiceRuntime } from '../services/service.ts';
import { TableRef } from './table-ref.ts';

function runtime(name: string, closed: string[]): ServiceRuntime {
  return {
    name,
    handler: async () => {},
    isAvailable: () => true,
    serverStatus: () => ({}),
    pickServer: () => undefined,
    close: () => closed.push(name),
  };
}
function table(...lbs: ServiceRuntime[]): RoutingTable {
  return {
    entryPoints: new Map(),
    services: new Map(),
    serviceCache: new Map(lbs.map((r) => [r.name, { key: r.name, runtime: r, children: [] }])),
    info: { routers: new Map(), services: new Map(), middlewares: new Map() },
  };
}

describe('TableRef', () => {
  it('releases a generation only after its last request, closing only runtimes no live generation uses', () => {
    const closed: string[] = [];
    const kept = runtime('kept', closed);
    const dropped = runtime('dropped', closed);
    const ref = new TableRef(table(kept, dropped));
    const g0 = ref.current();
    g0.enter();
    const g1 = ref.swap(table(kept));
    expect(ref.current()).toBe(g1);
    expect(closed).toEqual([]);
    g0.leave();
    expect(g0.isReleased).toBe(true);
    expect(closed).toEqual(['dropped']);
    ref.swap(table());
    expect(closed).toEqual(['dropped', 'kept']);
  });

  it('a generation with no requests in flight is released at once; closeAll releases the current one', () => {
    const closed: string[] = [];
    const ref = new TableRef(table(runtime('a', closed)));
    ref.swap(table(runtime('b', closed)));
    expect(closed).toEqual(['a']);
    ref.closeAll();
    ref.closeAll();
    expect(closed).toEqual(['a', 'b']);
  });
});
