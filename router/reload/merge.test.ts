import { describe, expect, it } from 'vitest';
import { DynamicConfigSchema } from '../../config/dynamic.ts';
import { merge } from './merge.ts';

describe('merge', () => {
  it('qualifies every name with its provider, in provider order, and keeps diagnostics', () => {
    const diag = {
      source: 'file',
      subject: 'f.yml',
      code: 'FILE_INVALID' as const,
      message: 'm',
      severity: 'error' as const,
    };
    const out = merge([
      {
        provider: 'file',
        config: DynamicConfigSchema.parse({
          http: {
            routers: { r: { rule: 'Host(`a`)', service: 's' } },
            services: { s: { loadBalancer: {} } },
          },
        }),
        diagnostics: [diag],
      },
      {
        provider: 'docker',
        config: DynamicConfigSchema.parse({
          http: {
            routers: { r: { rule: 'Host(`b`)', service: 's' } },
            middlewares: { m: { addPrefix: { prefix: '/x' } } },
          },
        }),
        diagnostics: [],
      },
    ]);
    expect([...out.routers.keys()]).toEqual(['r@docker', 'r@file']);
    expect(out.routers.get('r@docker')).toEqual({
      provider: 'docker',
      config: { rule: 'Host(`b`)', service: 's' },
    });
    expect([...out.services.keys()]).toEqual(['s@file']);
    expect([...out.middlewares.keys()]).toEqual(['m@docker']);
    expect(out.diagnostics).toEqual([diag]);
  });
});
