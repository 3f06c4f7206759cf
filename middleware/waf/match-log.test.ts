import { describe, expect, it } from 'vitest';
import { parseRuleMessage, ruleMatches } from './match-log.ts';

// Messages as libmodsecurity 3.0.9 gives them to the log callback and the intervention (seen in
// middleware/waf/engine.test.ts runs with Debian's CRS 3.3.4).
const LIBINJECTION =
  'ModSecurity: Warning. detected SQLi using libinjection. [file "/usr/share/modsecurity-crs/rules/REQUEST-942-APPLICATION-ATTACK-SQLI.conf"] [line "46"] [id "942100"] [rev ""] [msg "SQL Injection Attack Detected via libinjection"] [data "Matched Data: s&1c found within ARGS:id: 1\' or 1=1--"] [severity "2"] [ver "OWASP_CRS/3.3.4"] [maturity "0"] [accuracy "0"] [tag "application-multi"] [tag "attack-sqli"] [hostname "127.0.0.1"] [uri "/"] [unique_id "abc"] [ref "v9,11"]';
const DENIED =
  '[client 127.0.0.1] ModSecurity: Access denied with code 403 (phase 2). Matched "Operator `Ge\' with parameter `5\' against variable `TX:ANOMALY_SCORE\' (Value: `5\' ) [file "/usr/share/modsecurity-crs/rules/REQUEST-949-BLOCKING-EVALUATION.conf"] [line "81"] [id "949110"] [rev ""] [msg "Inbound Anomaly Score Exceeded (Total Score: 5)"] [data ""] [severity "2"] [ver "OWASP_CRS/3.3.4"] [maturity "0"] [accuracy "0"] [tag "application-multi"] [hostname "127.0.0.1"] [uri "/"] [unique_id "abc"] [ref ""]';
const OPERATOR =
  'ModSecurity: Warning. Matched "Operator `PmFromFile\' with parameter `scanners-user-agents.data\' against variable `REQUEST_HEADERS:User-Agent\' (Value: `nikto\' ) [file "/r.conf"] [line "33"] [id "913100"] [msg "Found User-Agent associated with security scanner"] [data "Matched Data: nikto found within REQUEST_HEADERS:User-Agent: nikto"] [severity "2"]';

describe('parseRuleMessage', () => {
  it.each([
    [
      'libinjection (variable from the data)',
      LIBINJECTION,
      {
        id: '942100',
        msg: 'SQL Injection Attack Detected via libinjection',
        data: "Matched Data: s&1c found within ARGS:id: 1' or 1=1--",
        severity: 2,
        variable: 'ARGS:id',
        line: 46,
        tags: ['application-multi', 'attack-sqli'],
      },
    ],
    [
      'the disruptive rule of an intervention',
      DENIED,
      { id: '949110', variable: 'TX:ANOMALY_SCORE', value: '5', disruptive: true, severity: 2 },
    ],
    [
      'an operator match (variable and value)',
      OPERATOR,
      { id: '913100', variable: 'REQUEST_HEADERS:User-Agent', value: 'nikto', file: '/r.conf' },
    ],
  ])('%s', (_, text, expected) => {
    expect(parseRuleMessage(text)).toMatchObject(expected);
  });

  it.each([
    ['an engine notice without a rule id', 'Request body limit is marked to reject the request'],
    ['an empty id', 'ModSecurity: Warning. [id ""] [msg "x"]'],
  ])('gives nothing for %s', (_, text) => {
    expect(parseRuleMessage(text)).toBeUndefined();
  });

  it('leaves out an empty data field', () => {
    expect(parseRuleMessage(DENIED)).not.toHaveProperty('data');
  });
});

describe('ruleMatches', () => {
  it('keeps one match per id, marks the disruptive one and skips missing messages', () => {
    const matches = ruleMatches([
      LIBINJECTION,
      null,
      DENIED.replace('Access denied with code 403 (phase 2)', 'Warning'),
      DENIED,
      undefined,
    ]);
    expect(matches.map((m) => [m.id, m.disruptive ?? false])).toEqual([
      ['942100', false],
      ['949110', true],
    ]);
  });
});
