import { describe, expect, it } from 'vitest';
import { loadStaticConfig } from '../load-static.ts';

describe('core.defaultRuleSyntax', () => {
  const cases: Array<{ args: string[]; core?: unknown; warning?: string; error?: string }> = [
    { args: [], core: undefined },
    { args: ['--core.defaultRuleSyntax=v3'], core: { defaultRuleSyntax: 'v3' }, warning: 'deprecated' },
    {
      args: ['--core.defaultRuleSyntax=v2'],
      core: { defaultRuleSyntax: 'v2' },
      warning: 'Traefik deprecated it in v3.4',
    },
    // Traefik refuses to start with another value ("unsupported default rule syntax configuration")
    { args: ['--core.defaultRuleSyntax=v4'], error: '--core.defaultRuleSyntax' },
  ];
  it.each(cases)('$args', ({ args, core, warning, error }) => {
    const r = loadStaticConfig({ args, env: {} });
    if (error !== undefined) {
      expect(r.ok ? [] : r.errors.join('\n')).toContain(error);
      return;
    }
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.config.core).toEqual(core);
    if (warning === undefined) expect(r.warnings).toEqual([]);
    else expect(r.warnings.join('\n')).toContain(warning);
  });
});
