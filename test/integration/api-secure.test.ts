import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// `api: {}` without `insecure`, as in Traefik: the wharf entryPoint serves nothing of the API until a
// router names api@internal, and the start-up log says so; api.basePath and api.debug apply to that router.

let w: TestWharf;

beforeAll(async () => {
  w = await startWharf(
    {
      http: {
        routers: {
          api: {
            rule: 'Host(`admin.test`) && PathPrefix(`/traefik`)',
            service: 'api@internal',
            entryPoints: ['web'],
          },
        },
      },
    },
    { api: { basePath: '/traefik', debug: true } },
    { logs: true },
  );
});
afterAll(async () => {
  await w?.stop();
});

describe('api without insecure', () => {
  it('says at start that a router must name api@internal', () => {
    const line = w.logs.find((l) => l.msg.startsWith('api: nothing is served'));
    expect(line?.msg).toContain('PathPrefix(`/traefik/api`)');
  });

  it('serves nothing on the wharf entryPoint', async () => {
    expect((await get(w.api, '/traefik/api/version', 'x')).status).toBe(404);
    expect((await get(w.api, '/api/version', 'x')).status).toBe(404);
  });

  it('serves the API, under basePath, through a router naming api@internal', async () => {
    const res = await get(w.web, '/traefik/api/version', 'admin.test');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toHaveProperty('Version');
  });

  it('api.debug: /debug/vars under basePath', async () => {
    const res = await get(w.web, '/traefik/debug/vars', 'admin.test');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toHaveProperty('memstats');
  });
});
