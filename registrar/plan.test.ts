import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostKeys } from '../core/registrar-document.ts';
import { goldenFiles } from '../test/helpers/golden.ts';
import { type Change, chunkChanges, type HeldEntry, MAX_TXN_OPS, planChanges, txnBody } from './plan.ts';

// Plans as golden files: (what Consul holds, desired documents, our session) → the transactions sent, in
// Consul's wire JSON (values base64). One case per file in test/golden/registrar; the root key is `wharf`
// and the host `h1`. Refresh after an intended change with
//   UPDATE_GOLDEN=1 npx vitest run registrar/plan.test.ts
// and review the diff.

const DIR = join(import.meta.dirname, '..', 'test', 'golden', 'registrar');
const keys = hostKeys('wharf', 'h1');

interface GoldenCase {
  description: string;
  session: string;
  held: HeldEntry[];
  desired: Record<string, string>;
  expected: {
    changes: Array<Pick<Change, 'key' | 'action'>>;
    ignored: string[];
    txns: unknown[];
  } | null;
}

function run(golden: GoldenCase): NonNullable<GoldenCase['expected']> {
  const plan = planChanges({
    keys,
    held: golden.held,
    desired: new Map(Object.entries(golden.desired)),
    session: golden.session,
  });
  return {
    changes: plan.changes.map((c) => ({ key: c.key, action: c.action })),
    ignored: plan.ignored,
    txns: chunkChanges(plan.changes).map(txnBody),
  };
}

describe('registrar plan golden files', () => {
  goldenFiles<GoldenCase>(DIR, 8, run);
});

describe('planChanges', () => {
  it('guards every write: no lock, unlock or delete without a check on the same key in its change', () => {
    const held: HeldEntry[] = [
      { key: `${keys.containers}a`, value: 'x', modifyIndex: 5, session: 'old' },
      { key: `${keys.containers}b`, value: 'y', modifyIndex: 6, session: 's' },
    ];
    const desired = new Map([
      [`${keys.containers}a`, 'x2'],
      [`${keys.containers}c`, 'z'],
    ]);
    const plan = planChanges({ keys, held, desired, session: 's' });
    expect(plan.changes.map((c) => c.action)).toEqual(['update', 'delete', 'create']);
    for (const change of plan.changes) {
      const guard = change.ops[0];
      expect(['check-index', 'check-not-exists', 'delete-cas']).toContain(guard?.Verb);
      for (const op of change.ops) expect(op.Key).toBe(change.key);
    }
  });
});

describe('chunkChanges', () => {
  const create = (i: number, value = 'v'): Change => ({
    key: `${keys.containers}${String(i).padStart(4, '0')}`,
    action: 'create',
    ops: [
      { Verb: 'check-not-exists', Key: `${keys.containers}${i}` },
      { Verb: 'lock', Key: `${keys.containers}${i}`, Value: value, Session: 's' },
    ],
  });

  it('fills transactions up to 128 operations and never splits a container', () => {
    const txns = chunkChanges(Array.from({ length: 100 }, (_, i) => create(i)));
    expect(txns.map((t) => t.length)).toEqual([MAX_TXN_OPS, 200 - MAX_TXN_OPS]);
    for (const txn of txns) expect(txn[0]?.Verb).toBe('check-not-exists');
  });

  it('starts a new transaction before the body would pass the byte limit', () => {
    const big = 'x'.repeat(3000); // 4000 bytes in base64
    const txns = chunkChanges(
      Array.from({ length: 10 }, (_, i) => create(i, big)),
      { maxOps: 128, maxBytes: 9000 },
    );
    expect(txns.map((t) => t.length)).toEqual([4, 4, 4, 4, 4]);
  });

  it('sends a change larger than the byte limit alone rather than dropping it', () => {
    const txns = chunkChanges([create(1), create(2, 'x'.repeat(20_000)), create(3)], {
      maxOps: 128,
      maxBytes: 1000,
    });
    expect(txns.map((t) => t.length)).toEqual([2, 2, 2]);
  });

  it('is empty for no changes', () => {
    expect(chunkChanges([])).toEqual([]);
  });
});

describe('txnBody', () => {
  it("encodes values in base64 and keeps Consul's field names", () => {
    expect(
      txnBody([
        { Verb: 'lock', Key: 'k', Value: '{"a":1}', Session: 's' },
        { Verb: 'delete-cas', Key: 'k', Index: 4 },
      ]),
    ).toEqual([
      { KV: { Verb: 'lock', Key: 'k', Value: Buffer.from('{"a":1}').toString('base64'), Session: 's' } },
      { KV: { Verb: 'delete-cas', Key: 'k', Index: 4 } },
    ]);
  });
});
