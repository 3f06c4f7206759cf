import { describe, expect, it } from 'vitest';
import { WafSchema } from '../../config/middlewares/waf.ts';
import { type WafOptions, wafSecLang } from './seclang-config.ts';

const lines = (options: WafOptions) => wafSecLang(options).split('\n');

describe('wafSecLang', () => {
  it.each<[string, WafOptions, string[], string[]]>([
    [
      'crs: {} is Debian’s recommended base, then Debian’s CRS with the defaults',
      { crs: {} },
      [
        'SecRuleEngine On',
        'SecRequestBodyAccess On',
        'SecRequestBodyLimit 13107200',
        'SecRequestBodyNoFilesLimit 131072',
        'SecRequestBodyLimitAction Reject',
        'SecResponseBodyAccess Off',
        'Include /etc/modsecurity/crs/crs-setup.conf',
        'SecAction "id:99901,phase:1,pass,nolog,t:none,setvar:tx.paranoia_level=1,setvar:tx.inbound_anomaly_score_threshold=5,setvar:tx.outbound_anomaly_score_threshold=4"',
        'Include /etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf',
        'Include /usr/share/modsecurity-crs/rules/*.conf',
        'Include /etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf',
      ],
      ['SecRuleRemoveById'],
    ],
    [
      'detect mode, partial inspection, response inspection',
      {
        crs: { paranoiaLevel: 2, inboundAnomalyThreshold: 10 },
        mode: 'detect',
        requestBodyLimit: 65536,
        requestBodyLimitAction: 'inspectPartial',
        responseInspection: true,
      },
      [
        'SecRuleEngine DetectionOnly',
        'SecRequestBodyLimit 65536',
        'SecRequestBodyNoFilesLimit 65536',
        'SecRequestBodyLimitAction ProcessPartial',
        'SecResponseBodyAccess On',
        'SecAction "id:99901,phase:1,pass,nolog,t:none,setvar:tx.paranoia_level=2,setvar:tx.inbound_anomaly_score_threshold=10,setvar:tx.outbound_anomaly_score_threshold=4"',
      ],
      ['SecRuleEngine On'],
    ],
    [
      'a CRS release folder: its own setup and rules, no Debian exclusion files',
      { crs: { path: '/opt/crs/' } },
      ['Include /opt/crs/crs-setup.conf', 'Include /opt/crs/rules/*.conf'],
      [
        'Include /etc/modsecurity/crs/crs-setup.conf',
        'Include /etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf',
      ],
    ],
    [
      'no crs: only the user’s rules, after the base, removals last',
      {
        rules: ['/etc/waf/*.conf', '/srv/my rules.conf'],
        inlineRules: '  SecRule ARGS "@rx x" "id:1,deny"  \n',
        removeRuleIds: ['1', '942100-942199'],
      },
      [
        'Include /etc/waf/*.conf',
        'Include "/srv/my rules.conf"',
        'SecRule ARGS "@rx x" "id:1,deny"',
        'SecRuleRemoveById 1 942100-942199',
      ],
      ['Include /etc/modsecurity/crs/crs-setup.conf'],
    ],
  ])('%s', (_, options, present, absent) => {
    const got = lines(options);
    for (const line of present) expect(got).toContain(line);
    for (const line of absent) expect(got.some((l) => l.startsWith(line))).toBe(false);
  });

  it('keeps the load order: base, CRS setup, settings, CRS rules, rules files, inline rules, removals', () => {
    const got = lines({
      crs: {},
      rules: ['/r.conf'],
      inlineRules: 'SecAction "id:5,pass"',
      removeRuleIds: ['5'],
    });
    const at = (prefix: string) => got.findIndex((l) => l.startsWith(prefix));
    const order = [
      'SecRuleEngine',
      'Include /etc/modsecurity/crs/crs-setup.conf',
      'SecAction "id:99901',
      'Include /usr/share/modsecurity-crs/rules',
      'Include /r.conf',
      'SecAction "id:5',
      'SecRuleRemoveById',
    ].map(at);
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('is stable: the same options give the same text', () => {
    expect(wafSecLang({ crs: { paranoiaLevel: 3 } })).toBe(wafSecLang({ crs: { paranoiaLevel: 3 } }));
  });
});

describe('WafSchema', () => {
  it.each([
    ['crs: {} alone', { crs: {} }, true],
    ['rule ids as numbers and ranges', { removeRuleIds: [942100, '920000-920999'] }, true],
    ['a paranoia level over 4', { crs: { paranoiaLevel: 5 } }, false],
    ['an unknown mode', { mode: 'learn' }, false],
    ['a bad rule id', { removeRuleIds: ['9421x'] }, false],
    ['a zero body limit', { requestBodyLimit: 0 }, false],
    ['an unknown key', { crs: {}, paranoia: 2 }, false],
  ])('%s: valid %s', (_, options, valid) => {
    expect(WafSchema.safeParse(options).success).toBe(valid);
  });

  it('gives removeRuleIds as strings', () => {
    expect(WafSchema.parse({ removeRuleIds: [942100, '1-2'] }).removeRuleIds).toEqual(['942100', '1-2']);
  });
});
