import { describe, expect, it } from 'vitest';
import { DockerProviderSchema } from '../config/static.ts';
import { ContainerDocumentSchema, hostIdFromEngine, MAX_DOCUMENT_BYTES } from '../core/registrar-document.ts';
import { decodeKvEntries } from '../providers/consul/decode.ts';
import type { KvEntry } from '../providers/consul/kv-client.ts';
import { decodeContainers } from '../providers/docker/decode.ts';
import { fakeContainer } from '../test/helpers/container-fixture.ts';
import { desiredDocuments } from './desired.ts';

const opts = DockerProviderSchema.parse({});
const exposed = { ExposedPorts: { '80/tcp': {} } };
const compose = (service: string, n: number, ip: string, labels: Record<string, string> = {}) =>
  fakeContainer({
    Name: `shop-${service}-${n}`,
    Id: `${service}${n}`.padEnd(12, '0'),
    Config: {
      Labels: { 'com.docker.compose.service': service, 'com.docker.compose.project': 'shop', ...labels },
      ...exposed,
    },
    NetworkSettings: { Networks: { shop_default: { IPAddress: ip, GlobalIPv6Address: '' } } },
  });

/** Two replicas of one compose service: a router with a middleware chain and a health-checked service. */
const webLabels = {
  'wharf.http.routers.web.rule': 'Host(`shop.example`) && PathPrefix(`/`)',
  'wharf.http.routers.web.middlewares': 'strip,hdr',
  'wharf.http.middlewares.strip.stripprefix.prefixes': '/shop',
  'wharf.http.middlewares.hdr.headers.customrequestheaders.X-Shop': 'yes',
  'wharf.http.services.web.loadbalancer.healthcheck.path': '/health',
  'wharf.http.services.web.loadbalancer.healthcheck.interval': '5s',
};

const containers = [
  compose('web', 1, '10.1.0.2', webLabels),
  compose('web', 2, '10.1.0.3', webLabels),
  compose('api', 1, '10.1.0.4', {
    'wharf.http.routers.api.rule': 'Host(`api.example`',
    'wharf.http.routers.ok.rule': 'Host(`ok.example`)',
    'wharf.http.routers.ok.service': 'api-shop',
  }),
  compose('off', 1, '10.1.0.5', { 'wharf.enable': 'false' }),
];

/** What Consul would hold after publishing: the documents as KV entries. */
function published(docs: Map<string, string>): KvEntry[] {
  return [...docs].map(([key, value], i) => ({ key, value, modifyIndex: i + 10, session: 's' }));
}

describe('desiredDocuments', () => {
  it('routes exactly as the Docker provider: documents decoded by the Consul provider give the same configuration', () => {
    const desired = desiredDocuments(containers, opts, 'wharf', 'h1');
    const direct = decodeContainers(containers, opts);
    const viaConsul = decodeKvEntries(published(desired.documents), 'wharf', 'consul');
    // The one difference: a router whose rule does not parse is left out by the registrar already (the
    // router's compile would reject it), not published.
    const { api: _rejected, ...routers } = direct.config.http?.routers ?? {};
    expect(_rejected?.rule).toBe('Host(`api.example`');
    expect(viaConsul.config).toEqual({ ...direct.config, http: { ...direct.config.http, routers } });
    // Replicas each have their own document; the router unites their servers.
    expect(direct.config.http?.services?.web?.loadBalancer?.servers).toEqual([
      { url: 'http://10.1.0.2:80' },
      { url: 'http://10.1.0.3:80' },
    ]);
  });

  it('publishes one document per routed container, none for a disabled one, under the host prefix', () => {
    const desired = desiredDocuments(containers, opts, 'wharf', 'h1');
    expect([...desired.documents.keys()]).toEqual([
      'wharf/registrar/h1/containers/api100000000',
      'wharf/registrar/h1/containers/web100000000',
      'wharf/registrar/h1/containers/web200000000',
    ]);
    for (const text of desired.documents.values())
      expect(ContainerDocumentSchema.safeParse(JSON.parse(text)).success).toBe(true);
  });

  it('leaves bad items out of the document and carries their diagnostics to the router', () => {
    const desired = desiredDocuments(containers, opts, 'wharf', 'h1');
    const api = JSON.parse(desired.documents.get('wharf/registrar/h1/containers/api100000000') as string);
    expect(Object.keys(api.labels).some((k: string) => k.includes('routers.api.'))).toBe(false);
    expect(api.labels['wharf.http.routers.ok.rule']).toBe('Host(`ok.example`)');
    expect(api.diagnostics).toEqual([
      expect.objectContaining({
        severity: 'error',
        key: 'wharf.http.routers.api.rule',
        item: { kind: 'router', name: 'api' },
      }),
    ]);
    const viaConsul = decodeKvEntries(published(desired.documents), 'wharf', 'consul');
    expect(viaConsul.diagnostics).toEqual([
      expect.objectContaining({
        source: 'consul',
        subject: 'h1/shop-api-1',
        key: 'wharf.http.routers.api.rule',
        severity: 'error',
      }),
    ]);
  });

  it('publishes Traefik v2 rules: with ruleSyntax v2, or without ruleSyntax (the routers default decides)', () => {
    const v2 = [
      compose('old', 1, '10.1.0.6', {
        'wharf.http.routers.a.rule': 'Host(`a.example`, `b.example`)',
        'wharf.http.routers.a.rulesyntax': 'v2',
        'wharf.http.routers.b.rule': 'Headers(`X-A`, `1`)',
        'wharf.http.routers.c.rule': 'Host(`c.example`, `d.example`)',
        'wharf.http.routers.c.rulesyntax': 'v3',
      }),
    ];
    const doc = JSON.parse([...desiredDocuments(v2, opts, 'wharf', 'h1').documents.values()][0] as string);
    expect(doc.labels['wharf.http.routers.a.rule']).toBe('Host(`a.example`, `b.example`)');
    expect(doc.labels['wharf.http.routers.b.rule']).toBe('Headers(`X-A`, `1`)');
    // ruleSyntax v3 chosen explicitly: a v2 rule is wrong for every router, so it stays out
    expect(doc.labels['wharf.http.routers.c.rule']).toBeUndefined();
    expect(doc.diagnostics).toEqual([
      expect.objectContaining({ code: 'RULE_V2_SYNTAX', key: 'wharf.http.routers.c.rule' }),
    ]);
  });

  it('is deterministic: the same containers in another order give byte-identical documents', () => {
    const a = desiredDocuments(containers, opts, 'wharf', 'h1');
    const b = desiredDocuments([...containers].reverse(), opts, 'wharf', 'h1');
    expect([...b.documents]).toEqual([...a.documents]);
  });

  it('refuses a document over the size limit with a diagnostic naming the container', () => {
    // Rules stay under the 65,536-character limit of a rule; together they exceed the document's.
    const rules = Object.fromEntries(
      Array.from({ length: Math.ceil(MAX_DOCUMENT_BYTES / 60_000) + 1 }, (_, i) => [
        `wharf.http.routers.big${i}.rule`,
        `Host(\`${'a'.repeat(60_000)}\`)`,
      ]),
    );
    const big = compose('big', 1, '10.1.0.9', rules);
    const desired = desiredDocuments([big], opts, 'wharf', 'h1');
    expect(desired.documents.size).toBe(0);
    expect(desired.diagnostics).toEqual([
      expect.objectContaining({ code: 'REGISTRAR_DOCUMENT_TOO_LARGE', subject: 'shop-big-1' }),
    ]);
  });
});

describe('registrar documents read by the Consul provider', () => {
  const doc = (over: Record<string, unknown> = {}) =>
    JSON.stringify({
      version: 1,
      host: 'h1',
      container: { id: 'c1', name: 'web-1' },
      labels: {
        'wharf.http.routers.web.rule': 'Host(`web`)',
        'wharf.http.routers.web.service': 'web',
        'wharf.http.services.web.loadbalancer.servers[0].url': 'http://10.0.0.1:80',
      },
      diagnostics: [],
      ...over,
    });
  const entry = (key: string, value: string): KvEntry => ({ key, value, modifyIndex: 1 });
  const cases: Array<{ name: string; entries: KvEntry[]; routers: string[]; codes: string[] }> = [
    {
      name: 'a document and a hand-written router that uses its service',
      entries: [
        entry('wharf/registrar/h1/containers/c1', doc()),
        entry('wharf/registrar/h1/lease', '{}'),
        entry('wharf/http/routers/extra/rule', 'Host(`extra`)'),
        entry('wharf/http/routers/extra/service', 'web'),
      ],
      routers: ['extra', 'web'],
      codes: [],
    },
    {
      name: 'a document that is not JSON is left out with an error naming its key',
      entries: [entry('wharf/registrar/h1/containers/c1', '{"version":1,')],
      routers: [],
      codes: ['REGISTRAR_DOCUMENT_INVALID'],
    },
    {
      name: 'a document from a newer registrar is left out with a hint to upgrade',
      entries: [entry('wharf/registrar/h1/containers/c1', doc({ version: 2 }))],
      routers: [],
      codes: ['REGISTRAR_DOCUMENT_INVALID'],
    },
    {
      name: 'a document whose host or id differs from its key is left out',
      entries: [entry('wharf/registrar/h2/containers/c1', doc())],
      routers: [],
      codes: ['REGISTRAR_DOCUMENT_INVALID'],
    },
    {
      name: 'an unknown key in the registrar folder is a warning, the rest still routes',
      entries: [entry('wharf/registrar/h1/containers/c1', doc()), entry('wharf/registrar/h1/other', 'x')],
      routers: ['web'],
      codes: ['REGISTRAR_UNKNOWN_KEY'],
    },
    {
      name: 'a hand-written router with the same name but another rule conflicts: both left out, named',
      entries: [
        entry('wharf/registrar/h1/containers/c1', doc()),
        entry('wharf/http/routers/web/rule', 'Host(`other`)'),
      ],
      routers: [],
      codes: ['ROUTER_CONFLICT'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = decodeKvEntries(c.entries, 'wharf', 'consul');
      expect(Object.keys(out.config.http?.routers ?? {}).sort()).toEqual(c.routers);
      expect(out.diagnostics.map((d) => d.code)).toEqual(c.codes);
    });
  }
  it('names the document key in the error', () => {
    const out = decodeKvEntries([entry('wharf/registrar/h1/containers/c1', 'nope')], 'wharf', 'consul');
    expect(out.diagnostics[0]?.message).toContain(
      'registrar document wharf/registrar/h1/containers/c1: not JSON',
    );
  });
});

describe('hostIdFromEngine', () => {
  it.each([
    ['ABCD:EFGH:IJKL:MNOP', 'abcd-efgh-ijkl-mnop'],
    ['3c1e8f2a-5b7d-4e8f-9a0b-1c2d3e4f5a6b', '3c1e8f2a-5b7d-4e8f-9a0b-1c2d3e4f5a6b'],
    ['::weird::', 'weird-'],
  ])('%s → %s', (engine, host) => {
    expect(hostIdFromEngine(engine)).toBe(host);
  });
});
