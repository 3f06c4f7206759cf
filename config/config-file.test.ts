import { describe, expect, it } from 'vitest';
import { parseConfigText } from './config-file.ts';
import { parseTomlKey } from './toml-locate.ts';

describe('parseConfigText: values', () => {
  const cases: { name: string; file: string; text: string; value: unknown }[] = [
    {
      name: 'YAML',
      file: 'a.yml',
      text: 'http:\n  routers:\n    web:\n      rule: Host(`a`)\n',
      value: { http: { routers: { web: { rule: 'Host(`a`)' } } } },
    },
    { name: 'YAML (.yaml, upper case)', file: 'A.YAML', text: 'a: [1, 2]\n', value: { a: [1, 2] } },
    {
      name: 'TOML',
      file: 'a.toml',
      text: '[http.routers.web]\nrule = "x"\nentryPoints = ["a"]\n',
      value: { http: { routers: { web: { rule: 'x', entryPoints: ['a'] } } } },
    },
    {
      name: 'JSON',
      file: 'a.json',
      text: '{"http": {"routers": {"web": {"priority": 3}}}}',
      value: { http: { routers: { web: { priority: 3 } } } },
    },
    { name: 'unknown extension read as YAML', file: 'wharf.conf', text: 'a: 1\n', value: { a: 1 } },
    { name: 'empty YAML', file: 'a.yml', text: '', value: null },
  ];
  it.each(cases)('$name', ({ file, text, value }) => {
    const parsed = parseConfigText(text, file);
    expect(parsed.ok && parsed.value).toEqual(value);
  });
});

describe('parseConfigText: errors carry line and column', () => {
  const cases: {
    name: string;
    file: string;
    text: string;
    error: { message: unknown; line?: number; column?: number };
  }[] = [
    {
      name: 'YAML bad indentation',
      file: 'a.yml',
      text: 'http:\n  routers:\n    web: 1\n   bad: 2\n',
      error: { message: expect.stringContaining('bad indentation'), line: 4, column: 4 },
    },
    {
      name: 'YAML duplicate key',
      file: 'a.yaml',
      text: 'a: 1\nb: 2\na: 3\n',
      error: { message: expect.stringContaining('duplicated mapping key'), line: 3, column: 1 },
    },
    {
      name: 'TOML',
      file: 'a.toml',
      text: 'a = 1\nb = = 2\n',
      error: { message: 'invalid value', line: 2, column: 5 },
    },
    {
      name: 'TOML redefinition',
      file: 'a.toml',
      text: '[x]\na = 1\n[x]\nb = 2\n',
      error: { message: expect.stringContaining('redefine'), line: 3, column: expect.any(Number) },
    },
    {
      name: 'JSON with position',
      file: 'a.json',
      text: '{\n  "a": 1\n  "b": 2\n}',
      error: { message: expect.stringContaining("','"), line: 3, column: 3 },
    },
    { name: 'JSON truncated', file: 'a.json', text: '{"a": ', error: { message: expect.any(String) } },
  ];
  it.each(cases)('$name', ({ file, text, error }) => {
    const parsed = parseConfigText(text, file);
    expect(parsed).toEqual({ ok: false, ...error });
    expect(parsed.ok || parsed.message).not.toMatch(/line \d|position|\n/);
  });
});

describe('locate', () => {
  const yaml = [
    'http:', // 1
    '  Routers:', // 2
    '    web:', // 3
    '      entrypoints:', // 4
    '        - web', // 5
    '        - websecure', // 6
    '      rule: Host(`a`)', // 7
    '  services:', // 8
    '    s: &lb', // 9
    '      loadBalancer: {servers: [{url: "http://a"}]}', // 10
    '    t: *lb', // 11
  ].join('\n');
  const toml = [
    '[http.routers.web]', // 1
    'rule = "x"', // 2
    'entryPoints = ["a", "b"]', // 3
    '', // 4
    '[[http.services.s.loadBalancer.servers]]', // 5
    'url = "http://a"', // 6
    '[[http.services.s.loadBalancer.servers]]', // 7
    'url = "http://b"', // 8
    '[http.middlewares.h.headers.customRequestHeaders]', // 9
    '"X-Dotted.Name" = "v"', // 10
    'doc = """', // 11
    'fake = 1', // 12
    '"""', // 13
    'after = 2', // 14
  ].join('\n');
  const json =
    '{\n  "http": {\n    "routers": {\n      "web": {\n        "rule": "x",\n        "entryPoints": [\n          "a",\n          "b"\n        ]\n      }\n    }\n  }\n}\n';
  const cases: {
    name: string;
    file: string;
    text: string;
    path: (string | number)[];
    where: string | undefined;
  }[] = [
    {
      name: 'YAML key, case-insensitive',
      file: 'a.yml',
      text: yaml,
      path: ['http', 'routers', 'web', 'rule'],
      where: 'line 7',
    },
    {
      name: 'YAML list item',
      file: 'a.yml',
      text: yaml,
      path: ['http', 'routers', 'web', 'entryPoints', 1],
      where: 'line 6',
    },
    {
      name: 'YAML flow collection',
      file: 'a.yml',
      text: yaml,
      path: ['http', 'services', 's', 'loadBalancer', 'servers', 0, 'url'],
      where: 'line 10',
    },
    {
      name: 'YAML through an alias',
      file: 'a.yml',
      text: yaml,
      path: ['http', 'services', 't', 'loadBalancer'],
      where: 'line 10',
    },
    {
      name: 'YAML missing key: deepest prefix',
      file: 'a.yml',
      text: yaml,
      path: ['http', 'routers', 'web', 'nope', 'x'],
      where: 'line 3',
    },
    { name: 'YAML nothing', file: 'a.yml', text: yaml, path: ['tls'], where: undefined },
    {
      name: 'TOML key in a table',
      file: 'a.toml',
      text: toml,
      path: ['http', 'routers', 'web', 'rule'],
      where: 'line 2',
    },
    {
      name: 'TOML inline array item',
      file: 'a.toml',
      text: toml,
      path: ['http', 'routers', 'web', 'entryPoints', 1],
      where: 'line 3',
    },
    {
      name: 'TOML second array-of-tables item',
      file: 'a.toml',
      text: toml,
      path: ['http', 'services', 's', 'loadBalancer', 'servers', 1, 'url'],
      where: 'line 8',
    },
    {
      name: 'TOML quoted key',
      file: 'a.toml',
      text: toml,
      path: ['http', 'middlewares', 'h', 'headers', 'customRequestHeaders', 'X-Dotted.Name'],
      where: 'line 10',
    },
    {
      name: 'TOML skips multi-line strings',
      file: 'a.toml',
      text: toml,
      path: ['http', 'middlewares', 'h', 'headers', 'customRequestHeaders', 'fake'],
      where: 'line 9',
    },
    {
      name: 'TOML after a multi-line string',
      file: 'a.toml',
      text: toml,
      path: ['http', 'middlewares', 'h', 'headers', 'customRequestHeaders', 'after'],
      where: 'line 14',
    },
    {
      name: 'JSON key',
      file: 'a.json',
      text: json,
      path: ['http', 'routers', 'web', 'rule'],
      where: 'line 5',
    },
    {
      name: 'JSON list item',
      file: 'a.json',
      text: json,
      path: ['http', 'routers', 'web', 'entryPoints', 1],
      where: 'line 8',
    },
  ];
  it.each(cases)('$name', ({ file, text, path, where }) => {
    const parsed = parseConfigText(text, file);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.locate(path)).toBe(where);
  });

  it('splits TOML dotted keys', () => {
    expect(parseTomlKey(`a."b.c" . 'd' .e-f`)).toEqual(['a', 'b.c', 'd', 'e-f']);
    expect(parseTomlKey('a b')).toBeUndefined();
  });
});
