import type { UnsupportedKeys } from '../canonicalize.ts';
import { type AnySchema, childSchema, unwrapSchema } from '../schema-keys.ts';
import { StaticConfigSchema } from '../static.ts';

// The rule (DESIGN §1, docs/compatibility.md): every key of Traefik v3.7's static reference is implemented or
// accepted with one warning at start naming it as not supported; only keys Traefik lacks are errors. These
// are the keys inside sections Wharf implements that it does not act on yet (whole sections, such as
// `experimental` or the Kubernetes providers, are in config/load-static.ts). A key a later change implements
// goes into its schema; the schema then wins and the entry here is never consulted
// (config/static/unsupported.test.ts fails on such an entry, so it is removed with the change).

/** The object schema at `keys` below `schema` (through optional, default and record wrappers). */
function at(schema: AnySchema, ...keys: string[]): AnySchema {
  let s = unwrapSchema(schema);
  for (const key of keys) s = unwrapSchema(childSchema(s, key) as AnySchema);
  return s;
}

const option = (keys: readonly string[], what: (k: string) => string) =>
  Object.fromEntries(keys.map((k) => [k, what(k)]));

/** Known Traefik v3.7 static keys Wharf accepts with a warning, by the schema of the section holding them. */
export const STATIC_UNSUPPORTED_KEYS: UnsupportedKeys = new Map<AnySchema, Record<string, string>>([
  [
    at(StaticConfigSchema, 'providers'),
    {
      ...option(['kubernetesIngressNGINX', 'knative'], (k) => `the ${k} provider`),
      precedence: 'an order of precedence between providers (providers.precedence)',
    },
  ],
  [
    at(StaticConfigSchema, 'providers', 'docker'),
    {
      username: 'HTTP basic authentication to the Docker endpoint (username)',
      password: 'HTTP basic authentication to the Docker endpoint (password)',
      httpClientTimeout: 'a timeout of requests to the Docker endpoint (httpClientTimeout)',
    },
  ],
  [
    at(StaticConfigSchema, 'providers', 'file'),
    { debugLogGeneratedTemplate: 'Go templates in dynamic files (debugLogGeneratedTemplate)' },
  ],
  [
    at(StaticConfigSchema, 'providers', 'consul'),
    { namespaces: 'several Consul Enterprise namespaces (namespaces; use namespace)' },
  ],
  [
    at(StaticConfigSchema, 'certificatesResolvers', '<name>'),
    { tailscale: 'the Tailscale certificate resolver (tailscale)' },
  ],
]);

/** `a` with the entries of `b` added; a schema in both gets the keys of both. */
export function mergeUnsupported(a: UnsupportedKeys, b: UnsupportedKeys): UnsupportedKeys {
  const out = new Map<AnySchema, Readonly<Record<string, string>>>(a);
  for (const [schema, keys] of b) out.set(schema, { ...out.get(schema), ...keys });
  return out;
}
