import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DynamicConfigSchema } from './dynamic.ts';
import { configReference } from './reference.ts';
import { StaticConfigSchema } from './static.ts';

// The key references in docs/ are generated from the schemas, so the docs cannot drift from the code.
// Refresh them with: UPDATE_DOCS=1 npx vitest run config/reference.test.ts
const HEADER = (what: string) =>
  `<!-- Generated from config/${what}.ts by config/reference.test.ts (UPDATE_DOCS=1 to refresh). Do not edit. -->\n\n`;

describe.each([
  ['static', StaticConfigSchema, 'docs/reference/static.md'],
  ['dynamic', DynamicConfigSchema, 'docs/reference/dynamic.md'],
] as const)('%s configuration reference', (what, schema, file) => {
  it(`${file} matches the schema`, () => {
    const path = join(import.meta.dirname, '..', file);
    const expected = HEADER(what) + configReference(schema);
    if (process.env.UPDATE_DOCS === '1') writeFileSync(path, expected);
    expect(readFileSync(path, 'utf8')).toBe(expected);
  });
});

describe('configReference', () => {
  it('lists nested keys with types, defaults and descriptions', () => {
    const out = configReference(StaticConfigSchema);
    expect(out).toContain('| `entryPoints.<name>.address` | string |  | Listen address');
    expect(out).toContain('| `providers.providersThrottleDuration` | duration | `100ms` |');
    expect(out).toContain('| `log.level` | TRACE \\| DEBUG');
  });
});
