import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../config/diagnostics.ts';
import type { DynamicConfig } from '../config/dynamic.ts';
import { DockerProviderSchema } from '../config/static.ts';
import { fakeContainer } from '../test/helpers/container-fixture.ts';
import {
  type Difference,
  describeDifferences,
  differences,
  fixtureFiles,
  flatKeyLimit,
  loadFixture,
  pathText,
  ROOT,
  toKv,
  toLabels,
} from '../test/helpers/middleware-sources.ts';
import { decodeKvEntries } from './consul/decode.ts';
import { decodeContainer } from './docker/decode.ts';

// "Each middleware works from a file, from Docker labels and from Consul KV, with the same results."
// Every fixture in test/fixtures/middleware-sources/ is read by the file provider's loader, written out as
// Docker labels and as Consul KV pairs (encodeFlatKeys), and decoded back by the Docker label decoder and
// the Consul KV decoder. The three middleware sets must be identical, without errors, with the same
// warnings. test/integration/middleware-sources.test.ts runs the same fixtures through real providers.

const DOCKER = DockerProviderSchema.parse({});

function errors(ds: readonly Diagnostic[]): string[] {
  return ds.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.key ?? d.subject}: ${d.message}`);
}
const warningCodes = (ds: readonly Diagnostic[]): string[] =>
  ds
    .filter((d) => d.severity === 'warning')
    .map((d) => `${d.code} ${d.item ? `${d.item.kind} ${d.item.name}` : ''}`.trim())
    .sort();
const middlewaresOf = (c: DynamicConfig) => c.http?.middlewares ?? {};

/** Decodes labels on a plain running container with one exposed port (so its default service is clean). */
function fromDocker(labels: Record<string, string>) {
  const c = fakeContainer({
    Name: 'middleware-sources',
    Config: { Labels: labels, ExposedPorts: { '80/tcp': {} } },
  });
  const decoded = decodeContainer(c, DOCKER);
  if (decoded.skipped !== undefined) throw new Error(`the container was left out: ${decoded.skipped}`);
  return decoded;
}

function fromConsul(config: DynamicConfig) {
  const entries = toKv(config).map((e, i) => ({ ...e, modifyIndex: i + 1 }));
  return decodeKvEntries(entries, ROOT, 'consul');
}

describe('the cross-source comparison itself', () => {
  it.each<[string, unknown, unknown, string[]]>([
    ['equal', { a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] }, []],
    ['a changed leaf', { a: { b: 'x' } }, { a: { b: 'y' } }, ['a.b']],
    ['a missing key', { a: { b: 'x', c: 1 } }, { a: { b: 'x' } }, ['a.c']],
    ['a longer list', { a: ['x'] }, { a: ['x', 'y'] }, ['a[1]']],
    ['a key with a dot', { h: { 'X.Y': '1' } }, { h: {} }, ['h."X.Y"']],
  ])('%s', (_name, expected, actual, paths) => {
    expect(differences(expected, actual).map((d) => pathText(d.path))).toEqual(paths);
  });

  it.each<[string, Difference, 'label' | 'kv', string | undefined]>([
    ['empty list', { path: ['p'], expected: [], actual: undefined }, 'label', 'an empty list'],
    ['empty map', { path: ['p'], expected: {}, actual: undefined }, 'kv', 'an empty map'],
    ['dot in a label name', { path: ['h', 'X.Y'], expected: '1', actual: undefined }, 'label', 'holds "."'],
    ['dot is fine in KV', { path: ['h', 'X.Y'], expected: '1', actual: undefined }, 'kv', undefined],
    ['comma', { path: ['v'], expected: 'a,b', actual: 'a' }, 'label', 'comma'],
  ])('names the flat-key limit: %s', (_name, d, style, hint) => {
    const found = flatKeyLimit(d, style);
    if (hint === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(hint);
  });

  it('a failure names the fixture, the source, the key and the limit', () => {
    const text = describeDifferences('x.yml', 'Docker labels', 'label', [
      { path: ['http', 'middlewares', 'm', 'stripPrefix', 'prefixes'], expected: [], actual: undefined },
    ]);
    expect(text).toContain('fixture x.yml');
    expect(text).toContain('Docker labels');
    expect(text).toContain('http.middlewares.m.stripPrefix.prefixes: file [], Docker labels (absent)');
    expect(text).toContain('an empty list');
  });

  it('catches a value labels cannot carry (an empty header map is dropped by encodeFlatKeys)', () => {
    const config: DynamicConfig = { http: { middlewares: { h: { headers: { customRequestHeaders: {} } } } } };
    const docker = fromDocker(toLabels(config));
    const diffs = differences(middlewaresOf(config), middlewaresOf(docker.config));
    expect(diffs.map((d) => flatKeyLimit(d, 'label'))).toEqual([
      expect.stringContaining('only empty lists or maps'),
    ]);
  });
});

const files = fixtureFiles();

describe('middlewares are the same from a file, Docker labels and Consul KV', () => {
  it('has fixtures, and their middleware names are unique (the end-to-end test loads them together)', async () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
    const owner = new Map<string, string>();
    const clashes: string[] = [];
    for (const file of files) {
      for (const name of Object.keys(middlewaresOf((await loadFixture(file)).config))) {
        const first = owner.get(name);
        if (first !== undefined) clashes.push(`"${name}" is in ${first} and ${file}`);
        else owner.set(name, file);
      }
    }
    expect(clashes, 'rename the middleware in one fixture (e.g. prefix it with the kind)').toEqual([]);
  });

  for (const file of files) {
    it(file, async () => {
      const fromFile = await loadFixture(file);
      const mws = middlewaresOf(fromFile.config);
      expect(Object.keys(mws).length, `${file} defines no http.middlewares`).toBeGreaterThan(0);
      expect(errors(fromFile.diagnostics), `${file}: the file provider reports errors`).toEqual([]);
      const fileOnly: DynamicConfig = { http: { middlewares: mws } };

      const labels = toLabels(fileOnly);
      const docker = fromDocker(labels);
      expect(
        errors(docker.diagnostics),
        `${file}: Docker labels give errors; labels:\n${JSON.stringify(labels, null, 2)}`,
      ).toEqual([]);
      const dockerDiffs = differences(mws, middlewaresOf(docker.config));
      expect(dockerDiffs, describeDifferences(file, 'Docker labels', 'label', dockerDiffs)).toEqual([]);

      const consul = fromConsul(fileOnly);
      expect(errors(consul.diagnostics), `${file}: Consul KV gives errors`).toEqual([]);
      const consulDiffs = differences(mws, middlewaresOf(consul.config));
      expect(consulDiffs, describeDifferences(file, 'Consul KV', 'kv', consulDiffs)).toEqual([]);

      // Warnings (deprecated options, say) are the same whatever the source.
      const fileWarnings = warningCodes(fromFile.diagnostics);
      expect(warningCodes(docker.diagnostics), `${file}: Docker warnings`).toEqual(fileWarnings);
      expect(warningCodes(consul.diagnostics), `${file}: Consul warnings`).toEqual(fileWarnings);
    });
  }
});
