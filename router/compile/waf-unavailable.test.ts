import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import { DynamicConfigSchema } from '../../config/dynamic.ts';
import { silentLogger } from '../../core/log.ts';
import { middlewareRegistry } from '../../middleware/registry.ts';
import { modsecurityEngine } from '../../middleware/waf/engine.ts';
import { wafDefinition } from '../../middleware/waf/waf.ts';
import { UpstreamPools } from '../proxy/upstream-pools.ts';
import { merge } from '../reload/merge.ts';
import { compile } from './compile.ts';

// Without the ModSecurity addon (libmodsecurity not installed, or not built), a waf middleware is disabled
// with WAF_UNAVAILABLE naming the install commands, the routers using it with ROUTER_DISABLED_DEPENDENCY,
// and everything else is served.

describe('a waf middleware without the engine', () => {
  it('is disabled with WAF_UNAVAILABLE and the install command; other routers serve', () => {
    const missing = wafDefinition(() => modsecurityEngine('/nonexistent/modsecurity.node'));
    const config = DynamicConfigSchema.parse({
      http: {
        routers: {
          guarded: { rule: 'Host(`a`)', service: 's', middlewares: ['firewall'] },
          open: { rule: 'Host(`b`)', service: 's' },
        },
        middlewares: { firewall: { waf: { crs: {} } } },
        services: { s: { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }] } } },
      },
    });
    const { table, diagnostics } = compile(merge([{ provider: 'file', config, diagnostics: [] }]), {
      entryPoints: [{ name: 'web', middlewares: [], isDefault: true }],
      pools: new UpstreamPools(),
      sideTraffic: new Agent(),
      logger: silentLogger(),
      previousServices: new Map(),
      middlewares: { ...middlewareRegistry, waf: missing },
    });
    const waf = diagnostics.find((d) => d.code === 'WAF_UNAVAILABLE');
    expect(waf?.message).toContain('apt-get install -y libmodsecurity3 libmodsecurity-dev modsecurity-crs');
    expect(waf?.message).toContain('npm run build:native');
    expect(
      diagnostics.some((d) => d.code === 'ROUTER_DISABLED_DEPENDENCY' && d.message.includes('guarded')),
    ).toBe(true);
    expect(diagnostics.some((d) => d.message.includes('"open'))).toBe(false);
    for (const s of table.services.values()) s.close();
  });
});
