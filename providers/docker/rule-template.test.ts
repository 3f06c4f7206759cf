import { describe, expect, it } from 'vitest';
import { normalizeName, parseRuleTemplate } from './rule-template.ts';

const model = {
  Name: 'web-shop',
  ContainerName: 'shop_web_1',
  Labels: { 'app.host': 'shop.example.com', domain: 'example.org' },
};

describe('parseRuleTemplate renders', () => {
  const cases: Array<[template: string, rendered: string]> = [
    ['Host(`{{ normalize .Name }}`)', 'Host(`web-shop`)'],
    ['Host(`{{ .Name }}`)', 'Host(`web-shop`)'],
    ['Host(`{{.ContainerName}}`)', 'Host(`shop_web_1`)'],
    ['Host(`{{ normalize .ContainerName }}`)', 'Host(`shop-web-1`)'],
    ['Host(`{{ index .Labels "app.host" }}`)', 'Host(`shop.example.com`)'],
    ['Host(`{{ index .Labels `app.host` }}`)', 'Host(`shop.example.com`)'],
    ['Host(`{{ index .Labels "missing" }}`)', 'Host(``)'],
    ['Host(`{{ .Name }}.{{ .Labels.domain }}`)', 'Host(`web-shop.example.org`)'],
    ['Host(`{{ .ContainerName | normalize | upper }}`)', 'Host(`SHOP-WEB-1`)'],
    ['Host(`{{ lower (index .Labels "app.host") }}`)', 'Host(`shop.example.com`)'],
    ['Host(`a`)  {{- /* comment */ -}}  ', 'Host(`a`)'],
    ['Host(`a`) {{- " " -}} || Path(`/`)', 'Host(`a`) || Path(`/`)'],
    ['PathPrefix(`/`)', 'PathPrefix(`/`)'],
  ];
  for (const [template, rendered] of cases) {
    it(template, () => {
      const parsed = parseRuleTemplate(template);
      expect(parsed.ok && parsed.render(model)).toBe(rendered);
    });
  }
});

describe('parseRuleTemplate errors', () => {
  const cases: Array<[template: string, problem: string, column: number]> = [
    ['Host(`{{ .Name `)', "'{{' is never closed", 7],
    [
      'Host(`{{ .Nmae }}`)',
      'unknown field .Nmae (fields: .Name, .ContainerName, .Labels); did you mean "Name"?',
      10,
    ],
    [
      'Host(`{{ trimPrefix "a" .Name }}`)',
      'function "trimPrefix" is not supported (supported: normalize, lower, upper, index)',
      10,
    ],
    ['Host(`{{ normalize }}`)', 'normalize takes one text argument, e.g. normalize .Name', 10],
    ['Host(`{{ .Labels }}`)', 'the action gives a map, not text', 10],
    [
      'Host(`{{ index .Name "a" }}`)',
      'index takes .Labels and a label name, e.g. index .Labels "app.host"',
      10,
    ],
    ['Host(`{{ }}`)', 'empty action', 9],
    ['Host(`{{ .Name | }}`)', "expected a function after '|' but found the end of the action", 18],
    ['Host(`{{ .Name .Name }}`)', 'unexpected ".Name"', 16],
    ['Host(`{{ .Name.x }}`)', '.Name has no field x', 10],
  ];
  for (const [template, problem, column] of cases) {
    it(template, () => {
      expect(parseRuleTemplate(template)).toEqual({
        ok: false,
        problem,
        column,
        message: `defaultRule "${template}": ${problem} at column ${column}`,
      });
    });
  }
});

describe('normalizeName', () => {
  it("follows Traefik's Normalize", () => {
    expect(
      ['web', '/web-1', 'my_app..v2', '-x-', 'web_shop', 'café.1', 'a  b'].map((n) => normalizeName(n)),
    ).toEqual(['web', 'web-1', 'my-app-v2', 'x', 'web-shop', 'café-1', 'a-b']);
  });
});
