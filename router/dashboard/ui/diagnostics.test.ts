import { describe, expect, it } from 'vitest';
import { diagnosticsFor, fixOf, itemName, keyIn, lineOf, whereOf } from './diagnostics.js';
import { parseRoute } from './route.js';
import type { Diagnostic, Meta } from './types.d.ts';

const meta: Meta = {
  version: 'test',
  labelPrefix: 'wharf',
  rootKey: 'edge',
  fixes: {
    RULE_SYNTAX: { field: 'rule', fix: 'Correct the rule.' },
    CONFIG_UNKNOWN_KEY: { fix: 'Rename the key.' },
    ROUTER_SERVICE_MISSING: { field: 'service', fix: 'Define the service.' },
  },
};

const d = (over: Partial<Diagnostic>): Diagnostic => ({
  source: 'file',
  subject: '/etc/wharf/dynamic.yml',
  code: 'CONFIG_UNKNOWN_KEY',
  message: 'm',
  severity: 'error',
  ...over,
});

describe('itemName', () => {
  it.each([
    [
      'compile names the item in its subject',
      d({ source: 'compile', subject: 'web@docker', item: { kind: 'router', name: 'web' } }),
      'web@docker',
    ],
    [
      'a provider’s diagnostic is about name@provider',
      d({ source: 'docker', subject: 'app-1', item: { kind: 'router', name: 'web' } }),
      'web@docker',
    ],
    [
      'a named provider',
      d({ source: 'consul-eu', subject: 'k', item: { kind: 'service', name: 's' } }),
      's@consul-eu',
    ],
    ['no item', d({}), undefined],
  ])('%s', (_what, diag, expected) => {
    expect(itemName(diag)).toBe(expected);
  });
});

describe('whereOf', () => {
  it.each([
    [
      'a file entry: the file, its line and the key',
      d({
        message: 'unknown key "x" (line 25); middleware "m" is left out',
        key: 'http.middlewares.m.x',
        item: { kind: 'middleware', name: 'm' },
      }),
      'file /etc/wharf/dynamic.yml, line 25, key http.middlewares.m.x',
    ],
    [
      'a file entry with a value',
      d({ message: 'bad (line 3, column 9)', key: 'http.routers.r.priority', value: 'high' }),
      'file /etc/wharf/dynamic.yml, line 3, key http.routers.r.priority = "high"',
    ],
    [
      'a Docker label',
      d({ source: 'docker', subject: 'shop-web-1', key: 'wharf.http.routers.web.rule', value: 'Host(' }),
      'container shop-web-1, label wharf.http.routers.web.rule = "Host("',
    ],
    [
      'a Docker provider option',
      d({ source: 'docker', subject: 'providers.docker.constraints' }),
      'providers.docker.constraints',
    ],
    [
      'a Consul key',
      d({ source: 'consul', subject: 'consul', key: 'edge/http/routers/web/rule' }),
      'KV key edge/http/routers/web/rule',
    ],
    [
      'compile, for a file router: the setting in the file',
      d({
        source: 'compile',
        subject: 'canary@file',
        code: 'RULE_SYNTAX',
        item: { kind: 'router', name: 'canary' },
      }),
      'router canary@file: key http.routers.canary.rule',
    ],
    [
      'compile, for a Docker router: the label',
      d({
        source: 'compile',
        subject: 'web@docker',
        code: 'ROUTER_SERVICE_MISSING',
        item: { kind: 'router', name: 'web' },
      }),
      'router web@docker: label wharf.http.routers.web.service',
    ],
    [
      'compile, for a Consul router: the KV key',
      d({
        source: 'compile',
        subject: 'web@consul',
        code: 'RULE_SYNTAX',
        item: { kind: 'router', name: 'web' },
      }),
      'router web@consul: KV key edge/http/routers/web/rule',
    ],
    [
      'compile, a code without a field: the item',
      d({
        source: 'compile',
        subject: 'web@file',
        code: 'ROUTER_CONFLICT',
        item: { kind: 'router', name: 'web' },
      }),
      'router web@file',
    ],
  ])('%s', (_what, diag, expected) => {
    expect(whereOf(diag, meta)).toBe(expected);
  });
});

describe('fixOf, lineOf, keyIn, diagnosticsFor', () => {
  it('adds the suggestion to the fix', () => {
    expect(fixOf(d({ suggestion: 'prefixes' }), meta)).toBe('Rename the key. Suggested: "prefixes".');
    expect(fixOf(d({ code: 'UNKNOWN' }), meta)).toBe('');
  });
  it('reads the line and column of a message', () => {
    expect(lineOf('x (line 4, column 2)')).toEqual({ line: 4, column: 2 });
    expect(lineOf('x (line 4)')).toEqual({ line: 4 });
    expect(lineOf('x')).toBeUndefined();
  });
  it('spells a key per provider', () => {
    expect(keyIn('consul-eu', 'http.routers.a.tls.options', meta)).toBe(
      'KV key edge/http/routers/a/tls/options',
    );
  });
  it('selects an item’s diagnostics, errors first', () => {
    const warn = d({
      severity: 'warning',
      source: 'compile',
      subject: 'a@file',
      item: { kind: 'router', name: 'a' },
    });
    const err = d({ source: 'file', item: { kind: 'router', name: 'a' } });
    const other = d({ source: 'file', item: { kind: 'service', name: 'a' } });
    expect(diagnosticsFor([warn, other, err], 'router', 'a@file')).toEqual([err, warn]);
  });
});

describe('parseRoute', () => {
  it.each([
    ['', {}],
    ['#/', {}],
    ['#/nope', {}],
    ['#/routers', { kind: 'routers' }],
    ['#/routers/web%40docker', { kind: 'routers', name: 'web@docker' }],
    ['#/services/a%2Fb@file', { kind: 'services', name: 'a/b@file' }],
    ['#/middlewares/bad%zz', { kind: 'middlewares', name: 'bad%zz' }],
  ])('%s', (hash, expected) => {
    const { query: _query, ...route } = parseRoute(hash);
    expect(route).toEqual(expected);
  });
  it('keeps the query', () => {
    expect(parseRoute('#/routers?search=web&status=disabled').query.get('status')).toBe('disabled');
  });
});
