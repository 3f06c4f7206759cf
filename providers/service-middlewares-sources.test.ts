import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DockerProviderSchema } from '../config/static.ts';
import { fakeContainer } from '../test/helpers/container-fixture.ts';
import { ROOT, toKv, toLabels } from '../test/helpers/middleware-sources.ts';
import { decodeKvEntries } from './consul/decode.ts';
import { decodeContainer } from './docker/decode.ts';
import { loadFile } from './file/load-file.ts';

// `middlewares` on a service (Traefik v3.7 Service.Middlewares) from a file, from Docker labels
// (`wharf.http.services.<s>.middlewares=a,b`, at the service level, not under loadbalancer) and from
// Consul KV (`wharf/http/services/<s>/middlewares/<n>`): the same list, in the same order, no diagnostics.

const FIXTURE = join(import.meta.dirname, '..', 'test', 'fixtures', 'service-middlewares', 'sources.yml');

describe('service middlewares from a file, Docker labels and Consul KV', () => {
  it('decodes to the same services from each source', async () => {
    const loaded = await loadFile(FIXTURE, 'file');
    if (loaded.kind !== 'ok') throw new Error(`fixture does not load: ${loaded.kind}`);
    expect(loaded.diagnostics).toEqual([]);
    const services = loaded.config.http?.services ?? {};
    expect(services['svcmw-app']?.middlewares).toEqual(['svcmw-auth', 'svcmw-headers', 'shared@file']);

    const labels = toLabels(loaded.config);
    expect(labels['wharf.http.services.svcmw-app.middlewares']).toBe('svcmw-auth,svcmw-headers,shared@file');
    const container = fakeContainer({
      Name: 'svcmw',
      Config: { Labels: labels, ExposedPorts: { '80/tcp': {} } },
    });
    const docker = decodeContainer(container, DockerProviderSchema.parse({}));
    expect(docker.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(docker.config.http?.services?.['svcmw-app']).toEqual(services['svcmw-app']);

    const kv = toKv(loaded.config).map((e, i) => ({ ...e, modifyIndex: i + 1 }));
    expect(kv.map((e) => e.key)).toContain('wharf/http/services/svcmw-app/middlewares/0');
    const consul = decodeKvEntries(kv, ROOT, 'consul');
    expect(consul.diagnostics).toEqual([]);
    expect(consul.config.http?.services).toEqual(services);
    expect(consul.config.http?.middlewares).toEqual(loaded.config.http?.middlewares);
  });
});
