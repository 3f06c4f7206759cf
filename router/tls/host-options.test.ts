import { describe, expect, it } from 'vitest';
import { compileRuleText } from '../../core/rules/rule-matcher.ts';
import { HostOptionsBuilder, optionsForServerName, ruleHosts } from './host-options.ts';

const ast = (rule: string) => {
  const c = compileRuleText(rule);
  if (!c.ok || !c.ast) throw new Error(`bad rule ${rule}`);
  return c.ast;
};

describe('ruleHosts', () => {
  const cases: Array<{ rule: string; hosts: string[] }> = [
    { rule: 'Host(`A.com`)', hosts: ['a.com'] },
    { rule: 'Host(`a.com`) || (Host(`b.com.`) && Path(`/x`))', hosts: ['a.com', 'b.com'] },
    { rule: '!Host(`a.com`) && PathPrefix(`/`)', hosts: ['a.com'] },
    { rule: 'HostRegexp(`^.+\\.com$`)', hosts: [] },
    { rule: 'PathPrefix(`/`)', hosts: [] },
  ];
  for (const c of cases) it(c.rule, () => expect(ruleHosts(ast(c.rule))).toEqual(c.hosts));
});

describe('host options', () => {
  it("gives each host its routers' options, default to hosts whose routers disagree, and matches SNI names", () => {
    const b = new HostOptionsBuilder();
    b.add('websecure', ['a.com', 'shared.com'], 'r1@file', 'modern@file');
    b.add('websecure', ['shared.com'], 'r2@file', 'default');
    b.add('websecure', ['*.w.com'], 'r3@file', 'modern@file');
    b.add('other', ['a.com'], 'r4@file', 'default');
    const { hostOptions, conflicts } = b.build();
    expect(conflicts).toEqual([
      {
        entryPoint: 'websecure',
        host: 'shared.com',
        routers: [
          { router: 'r1@file', options: 'modern@file' },
          { router: 'r2@file', options: 'default' },
        ],
      },
    ]);
    const table: Array<[string, string | undefined, string]> = [
      ['websecure', 'a.com', 'modern@file'],
      ['websecure', 'shared.com', 'default'],
      ['websecure', 'x.w.com', 'modern@file'],
      ['websecure', 'y.x.w.com', 'default'],
      ['websecure', 'unknown.com', 'default'],
      ['websecure', undefined, 'default'],
      ['other', 'a.com', 'default'],
      ['missing', 'a.com', 'default'],
    ];
    for (const [ep, sni, expected] of table)
      expect([ep, sni, optionsForServerName(hostOptions, ep, sni)]).toEqual([ep, sni, expected]);
  });
});
