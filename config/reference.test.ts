import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DynamicConfigSchema } from './dynamic.ts';
import { configReference, type ReferenceOptions } from './reference.ts';
import { RegistrarConfigSchema } from './registrar.ts';
import { StaticConfigSchema } from './static.ts';
import { REGISTRAR_ENV_PREFIX } from './static-args.ts';

// The key references in docs/ are generated from the schemas, so the docs cannot drift from the code.
// Refresh them with: UPDATE_DOCS=1 npx vitest run config/reference.test.ts
const HEADER = (what: string) =>
  `<!-- Generated from config/${what}.ts by config/reference.test.ts (UPDATE_DOCS=1 to refresh). Do not edit. -->\n\n`;

const REGISTRAR_OPTIONS: ReferenceOptions = { envPrefix: REGISTRAR_ENV_PREFIX, listDefaults: true };

describe.each([
  ['static', StaticConfigSchema, 'docs/reference/static.md', {}],
  ['dynamic', DynamicConfigSchema, 'docs/reference/dynamic.md', {}],
  ['registrar', RegistrarConfigSchema, 'docs/reference/registrar.md', REGISTRAR_OPTIONS],
] as const)('%s configuration reference', (what, schema, file, options) => {
  it(`${file} matches the schema`, () => {
    const path = join(import.meta.dirname, '..', file);
    const expected = HEADER(what) + configReference(schema, options);
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

  it('adds flags and environment variables, list defaults and machine-independent defaults on request', () => {
    const out = configReference(RegistrarConfigSchema, REGISTRAR_OPTIONS);
    expect(out).toContain('`WHARF_REGISTRAR_CONFIGFILE=FILE`');
    expect(out).toContain(
      '| `registrar.hostId` | string |  | `--registrar.hostId` | `WHARF_REGISTRAR_REGISTRAR_HOSTID` | ',
    );
    expect(out).toContain(
      '| `consul.endpoints` | list of string | `127.0.0.1:8500` | `--consul.endpoints` | `WHARF_REGISTRAR_CONSUL_ENDPOINTS` | ',
    );
    expect(out).toContain('| `registrar.ttl` | duration | `30000ms` | ');
    expect(out).toContain('| `registrar.healthFile` | string | `<temp dir>/wharf-registrar.health.json` | ');
    expect(out).toContain('| `consul` | section |  |  |  | The Consul the registrar publishes to |');
  });

  it('names record entries and list items in flags and variables', () => {
    const out = configReference(StaticConfigSchema, { envPrefix: 'WHARF_' });
    expect(out).toContain(
      '| `entryPoints.<name>.address` | string |  | `--entryPoints.<name>.address` | `WHARF_ENTRYPOINTS_<NAME>_ADDRESS` | ',
    );
    const dynamic = configReference(DynamicConfigSchema, { envPrefix: 'X_' });
    expect(dynamic).toMatch(/`X_HTTP_SERVICES_<NAME>_LOADBALANCER_SERVERS_<N>_URL`/);
  });
});
