import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerProviderSchema, StaticConfigSchema } from '../config/static.ts';
import { enabledInternalServices } from '../router/api/internal-services.ts';
import { checkLabelsText } from './check-labels.ts';
import { readLabelsInput } from './check-labels-input.ts';

const defaults = DockerProviderSchema.parse({});

const COMPOSE = `
name: My.Shop
services:
  web:
    expose: ["8080", "80"]
    networks: [proxy, default]
    labels:
      wharf.docker.network: proxy
      wharf.http.routers.web.rule: Host(\`shop.example.com\`)
      wharf.http.routers.web.middlewares: strip,auth@file
      wharf.http.middlewares.strip.stripprefix.prefixes: /api
  api:
    container_name: api
    network_mode: host
    labels:
      - wharf.http.routers.api.rulle=Host(\`api\`)
      - wharf.http.routers.api2.rule=Host(\`api2\`) &&
      - wharf.http.services.api.loadbalancer.server.port=9000
  db:
    ports: ["127.0.0.1:5432:5432/tcp"]
    labels: {wharf.enable: false}
networks:
  proxy: {external: true}
`;

describe('readLabelsInput', () => {
  it('reads a compose file: project from name:, compose naming, networks, ports, host mode', () => {
    const input = readLabelsInput(COMPOSE, '/srv/stack/compose.yml', defaults);
    expect(input.kind).toBe('compose');
    expect(input.project).toBe('myshop');
    expect(input.errors).toEqual([]);
    expect(
      input.containers.map((c) => ({
        name: c.Name,
        mode: c.HostConfig.NetworkMode,
        networks: Object.keys(c.NetworkSettings.Networks),
        ports: Object.keys(c.Config.ExposedPorts),
        service: c.Config.Labels['com.docker.compose.service'],
        enable: c.Config.Labels['wharf.enable'],
      })),
    ).toEqual([
      {
        name: '/myshop-web-1',
        mode: 'default',
        networks: ['proxy', 'myshop_default'],
        ports: ['8080/tcp', '80/tcp'],
        service: 'web',
        enable: undefined,
      },
      { name: '/api', mode: 'host', networks: [], ports: [], service: 'api', enable: undefined },
      {
        name: '/myshop-db-1',
        mode: 'default',
        networks: ['myshop_default'],
        ports: ['5432/tcp'],
        service: 'db',
        enable: 'false',
      },
    ]);
  });

  it('reads KEY=VALUE lines, skipping blanks and comments, and reports other lines', () => {
    const text =
      '# labels\n\nwharf.http.routers.a.rule=Host(`a=b`)\r\nnot a label\nwharf.docker.network=front\n';
    const input = readLabelsInput(text, 'conf/app.labels', defaults);
    expect({
      kind: input.kind,
      errors: input.errors,
      name: input.containers[0]?.Name,
      labels: input.containers[0]?.Config.Labels,
      networks: input.containers[0]?.NetworkSettings.Networks,
    }).toEqual({
      kind: 'labels',
      errors: ['conf/app.labels, line 4: expected KEY=VALUE, got "not a label"'],
      name: '/app',
      labels: { 'wharf.http.routers.a.rule': 'Host(`a=b`)', 'wharf.docker.network': 'front' },
      networks: { front: { IPAddress: '127.0.0.1', GlobalIPv6Address: '' } },
    });
  });

  it('reads a YAML map of labels', () => {
    const input = readLabelsInput(
      'wharf.enable: true\nwharf.http.routers.a.priority: 5\n',
      'a.yml',
      defaults,
    );
    expect({ kind: input.kind, errors: input.errors, labels: input.containers[0]?.Config.Labels }).toEqual({
      kind: 'labels',
      errors: [],
      labels: { 'wharf.enable': 'true', 'wharf.http.routers.a.priority': '5' },
    });
  });
});

describe('checkLabelsText', () => {
  it('prints routers, services, middlewares and every problem with its label and suggestion', () => {
    expect(checkLabelsText(COMPOSE, '/srv/stack/compose.yml', defaults)).toEqual({
      errors: 2,
      output: lines(
        '/srv/stack/compose.yml: 3 container(s) (compose project "myshop"): myshop-web-1, api, myshop-db-1',
        '  skipped myshop-db-1: disabled by wharf.enable=false',
        'routers:',
        '  api2@docker  rule=Host(`api2`) &&  service=api',
        '  web@docker  rule=Host(`shop.example.com`)  service=web-myshop  middlewares=strip,auth@file',
        'services:',
        '  api@docker  servers: http://127.0.0.1:9000',
        '  web-myshop@docker  servers: http://127.0.0.1:80',
        'middlewares:',
        '  strip@docker  stripPrefix {"prefixes":["/api"]}',
        'problems:',
        '  error CONFIG_UNKNOWN_KEY [api]: unknown key "wharf.http.routers.api.rulle"; did you mean "rule"?; router "api" is left out',
        '      label: wharf.http.routers.api.rulle=Host(`api`)',
        '      did you mean: wharf.http.routers.api.rule',
        '  error RULE_SYNTAX [api2@docker]: router "api2@docker": rule "Host(`api2`) &&": expected a matcher after \'&&\' but the rule ends at column 14',
        '2 router(s), 2 service(s), 1 middleware(s); 2 error(s), 0 warning(s)',
      ),
    });
  });

  it('names the compose network a label misses, and says why routers lose their service', () => {
    const compose =
      'services:\n  web:\n    expose: [80]\n    networks: [proxy]\n    labels: [wharf.docker.network=proxy]\nnetworks:\n  proxy: {}\n';
    expect(checkLabelsText(compose, '/srv/shop/docker-compose.yml', defaults)).toEqual({
      errors: 2,
      output: lines(
        '/srv/shop/docker-compose.yml: 1 container(s) (compose project "shop"): shop-web-1',
        'routers:',
        '  web-shop@docker  rule=Host(`web-shop`)  service=web-shop',
        'problems:',
        '  error DOCKER_NETWORK_NOT_FOUND [shop-web-1]: container "shop-web-1": network "proxy" (from wharf.docker.network) is not one of its networks (shop_proxy); did you mean "shop_proxy"? (compose prefixes network names with the project name); service "web-shop" is left out',
        '      label: wharf.docker.network=proxy',
        '      did you mean: wharf.docker.network=shop_proxy',
        '  error ROUTER_DISABLED_DEPENDENCY [web-shop@docker]: router "web-shop@docker": service "web-shop@docker" is disabled: container "shop-web-1": network "proxy" (from wharf.docker.network) is not one of its networks (shop_proxy); did you mean "shop_proxy"? (compose prefixes network names with the project name); service "web-shop" is left out',
        '1 router(s), 0 service(s), 0 middleware(s); 2 error(s), 0 warning(s)',
      ),
    });
  });

  it('reads labels with the configured prefix and explains a missing port', () => {
    const text = 'traefik.http.routers.r.rule=Host(`r`)\ntraefik.http.routers.r.middlewares=nope\n';
    expect(checkLabelsText(text, 'legacy.env', { ...defaults, labelPrefix: 'traefik' })).toEqual({
      errors: 3,
      output: lines(
        'legacy.env: 1 container(s): legacy',
        'routers:',
        '  r@docker  rule=Host(`r`)  service=legacy  middlewares=nope',
        'problems:',
        '  error DOCKER_NO_PORT [legacy]: container "legacy": service "legacy" has no port (the container exposes none); set traefik.http.services.legacy.loadbalancer.server.port; service "legacy" is left out',
        '      label: traefik.http.services.legacy.loadbalancer.server.port',
        '  error ROUTER_DISABLED_DEPENDENCY [r@docker]: router "r@docker": service "legacy@docker" is disabled: container "legacy": service "legacy" has no port (the container exposes none); set traefik.http.services.legacy.loadbalancer.server.port; service "legacy" is left out',
        '  error ROUTER_MIDDLEWARE_MISSING [r@docker]: router "r@docker": middleware "nope@docker" does not exist',
        "note: check cannot see the image's EXPOSE ports; set the port label or `expose:` to be sure",
        '1 router(s), 0 service(s), 0 middleware(s); 3 error(s), 0 warning(s)',
      ),
    });
  });
  it("shows a service's own middlewares and checks them as compile would (issue 18)", () => {
    const text = [
      'wharf.http.routers.r.rule=Host(`r`)',
      'wharf.http.services.s.middlewares=auth@file,ghost',
      'wharf.http.services.s.loadbalancer.server.url=http://127.0.0.1:9000',
      '',
    ].join('\n');
    expect(checkLabelsText(text, 'svc.env', defaults)).toEqual({
      errors: 2,
      output: lines(
        'svc.env: 1 container(s): svc',
        'routers:',
        '  r@docker  rule=Host(`r`)  service=s',
        'services:',
        '  s@docker  servers: http://127.0.0.1:9000  middlewares=auth@file,ghost',
        'problems:',
        '  error SERVICE_REFERENCE_MISSING [s@docker]: service "s@docker": middlewares names "ghost@docker", which does not exist',
        '  error ROUTER_DISABLED_DEPENDENCY [r@docker]: router "r@docker": service "s@docker" is disabled: service "s@docker": middlewares names "ghost@docker", which does not exist',
        '1 router(s), 1 service(s), 0 middleware(s); 2 error(s), 0 warning(s)',
      ),
    });
  });

  it("reports what compile would (a chain's missing member), not what labels cannot show (other providers' items, entryPoints, resolvers)", () => {
    const text = [
      'wharf.http.routers.r.rule=Host(`r`)',
      'wharf.http.routers.r.entrypoints=websecure',
      'wharf.http.routers.r.middlewares=c,auth@file',
      'wharf.http.routers.r.tls.options=modern@file',
      'wharf.http.routers.r.tls.certresolver=le',
      'wharf.http.middlewares.c.chain.middlewares=ghost',
      'wharf.http.services.app.loadbalancer.server.port=80',
      '',
    ].join('\n');
    const out = checkLabelsText(text, 'app.labels', defaults);
    expect({
      errors: out.errors,
      problems: out.output.split('\n').filter((l) => l.startsWith('  error')),
    }).toEqual({
      errors: 2,
      problems: [
        '  error MIDDLEWARE_INVALID [c@docker]: middleware "c@docker": chain member "ghost@docker" does not exist',
        '  error ROUTER_DISABLED_DEPENDENCY [r@docker]: router "r@docker": middleware "c@docker" is disabled: middleware "c@docker": chain member "ghost@docker" does not exist',
      ],
    });
  });
});

describe('wharf check --labels', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-labels-'));
    await mkdir(join(dir, 'shop'));
    await writeFile(join(dir, 'ok.labels'), 'wharf.http.services.ok.loadbalancer.server.port=8080\n');
    await writeFile(
      join(dir, 'legacy.labels'),
      'traefik.http.routers.r.rulle=Host(`r`)\ntraefik.http.services.s.loadbalancer.server.port=80\n',
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const wharf = (...args: string[]) => {
    const r = spawnSync(
      process.execPath,
      [join(import.meta.dirname, '..', 'bin', 'wharf.js'), 'check', ...args],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
      },
    );
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('exits 0 for good labels and 1 for errors; static flags set the prefix; a missing file is an error', () => {
    expect(wharf('--labels', join(dir, 'ok.labels'))).toEqual({
      status: 0,
      stdout: lines(
        `${join(dir, 'ok.labels')}: 1 container(s): ok`,
        'routers:',
        '  ok@docker  rule=Host(`ok`)  service=ok',
        'services:',
        '  ok@docker  servers: http://127.0.0.1:8080',
        '1 router(s), 1 service(s), 0 middleware(s); 0 error(s), 0 warning(s)',
      ),
      stderr: '',
    });
    const legacy = wharf(`--labels=${join(dir, 'legacy.labels')}`, '--providers.docker.labelPrefix=traefik');
    expect({
      status: legacy.status,
      typo: legacy.stdout.includes('did you mean: traefik.http.routers.r.rule'),
    }).toEqual({
      status: 1,
      typo: true,
    });
    expect(wharf('--labels', join(dir, 'missing.labels')).status).toBe(1);
    expect(wharf('--labels')).toEqual({
      status: 2,
      stdout: '',
      stderr: 'wharf check: --labels needs a file: KEY=VALUE lines or a compose file\n',
    });
  });
});

function lines(...l: string[]): string {
  return `${l.join('\n')}\n`;
}

const INTERPOLATED = `
name: shop
services:
  web:
    expose: ["8080"]
    labels:
      - wharf.http.routers.web.rule=Host(\`\${DOMAIN}\`) && PathPrefix(\`\${PREFIX:-/}\`)
      - wharf.http.routers.web.middlewares=\${MW-auth@file}
      - wharf.http.services.web.loadbalancer.server.port=\${PORT}
      - wharf.http.routers.web.entrypoints=\${EP:?set EP to the entryPoint}
      - wharf.cost=5$ and $$HOME
`;

describe('checkLabelsText with compose interpolation', () => {
  const variables = (vars: Record<string, string>) => (name: string) => vars[name];

  it('interpolates values as docker compose does and names every unset variable', () => {
    const r = checkLabelsText(INTERPOLATED, '/srv/shop/compose.yml', defaults, {
      variables: variables({ DOMAIN: 'shop.example.com', EP: 'websecure' }),
    });
    expect(r.output).toContain(
      'web@docker  rule=Host(`shop.example.com`) && PathPrefix(`/`)  service=web  middlewares=auth@file  entryPoints=websecure',
    );
    // PORT unset: server.port="" is unset, so the only exposed port is used, as Traefik does
    expect(r.output).toContain('web@docker  servers: http://127.0.0.1:8080');
    expect(r.output).toContain('warning: variable PORT is not set; docker compose uses an empty string');
    expect(r.errors).toBe(0);
  });

  it('a required variable that is unset is an error naming it and its message', () => {
    const r = checkLabelsText(INTERPOLATED, '/srv/shop/compose.yml', defaults, {
      variables: variables({ DOMAIN: 'a' }),
    });
    expect(r.output).toContain(
      'error: /srv/shop/compose.yml: services.web.labels[3]: required variable EP is missing a value: set EP to the entryPoint',
    );
    // Compose would stop here; check goes on with an empty value, which the label decoder refuses too.
    expect(r.output).toContain('error CONFIG_EMPTY_VALUE [shop-web-1]: wharf.http.routers.web.entrypoints');
    expect(r.errors).toBe(2);
  });

  it('label files are not interpolated (Docker does not either)', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose interpolation syntax under test
    const r = checkLabelsText('wharf.http.routers.app.rule=Host(`${X}`)\n', 'app.labels', defaults, {
      variables: () => 'never',
    });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose interpolation syntax under test
    expect(r.output).toContain('rule=Host(`${X}`)');
  });
});

describe('checkLabelsText --format json', () => {
  it('prints every router, service and middleware as the router holds it, and the diagnostics', () => {
    const r = checkLabelsText(COMPOSE, '/srv/stack/compose.yml', defaults, { format: 'json' });
    const report = JSON.parse(r.output) as {
      routers: Record<string, { rule: string; status: string; priority: number; using: string[] }>;
      services: Record<string, { loadBalancer: { servers: Array<{ url: string }> }; status: string }>;
      middlewares: Record<string, { stripPrefix: { prefixes: string[] }; status: string }>;
      diagnostics: Array<{ code: string; severity: string }>;
      skipped: Record<string, string>;
      errors: number;
    };
    expect(report.routers['web@docker']).toMatchObject({
      rule: 'Host(`shop.example.com`)',
      status: 'enabled',
      priority: 'Host(`shop.example.com`)'.length,
      using: ['http'],
    });
    expect(report.services['api@docker']?.loadBalancer.servers).toEqual([{ url: 'http://127.0.0.1:9000' }]);
    expect(report.middlewares['strip@docker']).toMatchObject({ stripPrefix: { prefixes: ['/api'] } });
    expect(report.skipped).toEqual({ 'myshop-db-1': 'disabled by wharf.enable=false' });
    expect(report.diagnostics.map((d) => d.code)).toContain('CONFIG_UNKNOWN_KEY');
    expect(report.errors).toBe(r.errors);
    expect(Object.keys(report.services)).not.toContain('auth@file');
  });
});

describe('checkLabelsText: references checked as the router checks them', () => {
  const labels = [
    'wharf.http.routers.dash.rule=Host(`dash`)',
    'wharf.http.routers.dash.service=api@internal',
    'wharf.http.routers.dash.middlewares=auth@file',
    'wharf.http.routers.other.rule=Host(`other`)',
    'wharf.http.routers.other.service=app',
    'wharf.http.routers.other.middlewares=missing@file,kv@consul',
    'wharf.http.services.app.loadbalancer.server.port=80',
  ].join('\n');
  const snapshots = [
    {
      provider: 'file',
      config: { http: { middlewares: { auth: { basicAuth: { users: ['a:b'] } } } } },
      diagnostics: [],
    },
  ];

  it('x@internal against the static configuration, x@file against the file provider', () => {
    const internalServices = enabledInternalServices(StaticConfigSchema.parse({}));
    const r = checkLabelsText(labels, 'app.labels', defaults, { internalServices, snapshots });
    expect(r.output).toMatch(/error ROUTER_INTERNAL_SERVICE \[dash@docker\]: .*api@internal/);
    expect(r.output).not.toMatch(/auth@file.*does not exist/);
    expect(r.output).toMatch(/error ROUTER_MIDDLEWARE_MISSING \[other@docker\]: .*missing@file/);
    // Consul is not read offline: its items are assumed to exist
    expect(r.output).not.toContain('kv@consul" does not exist');
  });

  it('api@internal is fine when the static configuration enables the API', () => {
    const internalServices = enabledInternalServices(StaticConfigSchema.parse({ api: {} }));
    const r = checkLabelsText(labels, 'app.labels', defaults, { internalServices, snapshots });
    expect(r.output).not.toContain('ROUTER_INTERNAL_SERVICE');
  });
});
