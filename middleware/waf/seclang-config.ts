import type { z } from 'zod';
import {
  DEBIAN_CRS_PATH,
  DEBIAN_CRS_SETUP,
  DEFAULT_REQUEST_BODY_LIMIT,
  type WafSchema,
} from '../../config/middlewares/waf.ts';

/** The waf middleware's options, as validated by WafSchema. */
export type WafOptions = z.infer<typeof WafSchema>;

/** Response body bytes inspected with responseInspection (Debian's recommended SecResponseBodyLimit). */
export const RESPONSE_BODY_LIMIT = 524_288;

/**
 * Rule ids Wharf's generated configuration uses for the CRS settings the options carry (paranoia level,
 * anomaly thresholds); user rules must not use them.
 */
export const WHARF_RULE_IDS = { crsSettings: 99_901 } as const;

// A path for Include: bare (libmodsecurity expands globs only in bare paths), in double quotes when it has
// whitespace or quotes (then without glob expansion).
function quoted(text: string): string {
  if (!/[\s"'\\]/.test(text)) return text;
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/**
 * The base configuration, equal to Debian's modsecurity.conf-recommended (shipped by
 * libnginx-mod-http-modsecurity and libapache2-mod-security2) except where the options set a value:
 * the engine mode, the request body limit and its action, and response body access. Its audit log, status
 * engine and unicode map file are left out: Wharf writes its own JSON audit log, and these do not change
 * which rules match.
 */
function baseConfig(o: WafOptions): string[] {
  const limit = o.requestBodyLimit ?? DEFAULT_REQUEST_BODY_LIMIT;
  return [
    `SecRuleEngine ${o.mode === 'detect' ? 'DetectionOnly' : 'On'}`,
    'SecRequestBodyAccess On',
    'SecRule REQUEST_HEADERS:Content-Type "^(?:application(?:/soap\\+|/)|text/)xml" \\',
    '  "id:\'200000\',phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"',
    'SecRule REQUEST_HEADERS:Content-Type "^application/json" \\',
    '  "id:\'200001\',phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"',
    `SecRequestBodyLimit ${limit}`,
    `SecRequestBodyNoFilesLimit ${Math.min(limit, 131_072)}`,
    `SecRequestBodyLimitAction ${o.requestBodyLimitAction === 'inspectPartial' ? 'ProcessPartial' : 'Reject'}`,
    'SecRequestBodyJsonDepthLimit 512',
    'SecArgumentsLimit 1000',
    'SecRule &ARGS "@ge 1000" \\',
    "  \"id:'200007',phase:2,t:none,log,deny,status:400,msg:'Failed to fully parse request body due to large argument count',severity:2\"",
    'SecRule REQBODY_ERROR "!@eq 0" \\',
    "  \"id:'200002',phase:2,t:none,log,deny,status:400,msg:'Failed to parse request body.',logdata:'%{reqbody_error_msg}',severity:2\"",
    'SecRule MULTIPART_STRICT_ERROR "!@eq 0" \\',
    "  \"id:'200003',phase:2,t:none,log,deny,status:400, \\",
    "  msg:'Multipart request body failed strict validation: \\",
    '  PE %{REQBODY_PROCESSOR_ERROR}, \\',
    '  BQ %{MULTIPART_BOUNDARY_QUOTED}, \\',
    '  BW %{MULTIPART_BOUNDARY_WHITESPACE}, \\',
    '  DB %{MULTIPART_DATA_BEFORE}, \\',
    '  DA %{MULTIPART_DATA_AFTER}, \\',
    '  HF %{MULTIPART_HEADER_FOLDING}, \\',
    '  LF %{MULTIPART_LF_LINE}, \\',
    '  SM %{MULTIPART_MISSING_SEMICOLON}, \\',
    '  IQ %{MULTIPART_INVALID_QUOTING}, \\',
    '  IP %{MULTIPART_INVALID_PART}, \\',
    '  IH %{MULTIPART_INVALID_HEADER_FOLDING}, \\',
    '  FL %{MULTIPART_FILE_LIMIT_EXCEEDED}\'"',
    'SecRule MULTIPART_UNMATCHED_BOUNDARY "@eq 1" \\',
    "  \"id:'200004',phase:2,t:none,log,deny,msg:'Multipart parser detected a possible unmatched boundary.'\"",
    'SecPcreMatchLimit 1000',
    'SecPcreMatchLimitRecursion 1000',
    'SecRule TX:/^MSC_/ "!@streq 0" \\',
    "  \"id:'200005',phase:2,t:none,deny,msg:'ModSecurity internal error flagged: %{MATCHED_VAR_NAME}'\"",
    `SecResponseBodyAccess ${o.responseInspection === true ? 'On' : 'Off'}`,
    'SecResponseBodyMimeType text/plain text/html text/xml',
    `SecResponseBodyLimit ${RESPONSE_BODY_LIMIT}`,
    'SecResponseBodyLimitAction ProcessPartial',
    'SecTmpDir /tmp/',
    'SecDataDir /tmp/',
    'SecAuditEngine Off',
    'SecArgumentSeparator &',
    'SecCookieFormat 0',
  ];
}

/** The Core Rule Set: its setup, Wharf's settings from the options, then its rules. */
function crsConfig(crs: NonNullable<WafOptions['crs']>): string[] {
  const path = (crs.path ?? DEBIAN_CRS_PATH).replace(/\/+$/, '');
  const debian = path === DEBIAN_CRS_PATH;
  const settings = [
    `setvar:tx.paranoia_level=${crs.paranoiaLevel ?? 1}`,
    `setvar:tx.inbound_anomaly_score_threshold=${crs.inboundAnomalyThreshold ?? 5}`,
    `setvar:tx.outbound_anomaly_score_threshold=${crs.outboundAnomalyThreshold ?? 4}`,
  ];
  return [
    `Include ${quoted(debian ? DEBIAN_CRS_SETUP : `${path}/crs-setup.conf`)}`,
    // After the setup file, so the options win over a setup that sets the same variables.
    `SecAction "id:${WHARF_RULE_IDS.crsSettings},phase:1,pass,nolog,t:none,${settings.join(',')}"`,
    ...(debian ? ['Include /etc/modsecurity/crs/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf'] : []),
    `Include ${quoted(`${path}/rules/*.conf`)}`,
    ...(debian ? ['Include /etc/modsecurity/crs/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf'] : []),
  ];
}

/**
 * The whole ModSecurity configuration (SecLang) for a waf middleware's options, in load order: the base
 * configuration (Debian's modsecurity.conf-recommended, with the options' engine mode, body limits and
 * response access), the CRS (when `crs` is set: setup file, paranoia level and anomaly thresholds, rules),
 * the `rules` files (Include, globs allowed), `inlineRules`, then `SecRuleRemoveById` for `removeRuleIds`.
 *
 * Pure and stable: the same options give the same text, byte for byte. Wharf writes it to a file and
 * compiles that; the nginx+ModSecurity reference of the tests loads the same file (`modsecurity_rules_file`)
 * so both engines run exactly the same configuration. Relative paths in `rules` resolve from Wharf's
 * working directory (the caller makes them absolute).
 */
export function wafSecLang(options: WafOptions): string {
  const lines = [
    "# Generated by Wharf (middleware/waf/seclang-config.ts) from a waf middleware's options",
    ...baseConfig(options),
  ];
  if (options.crs !== undefined) lines.push(...crsConfig(options.crs));
  for (const file of options.rules ?? []) lines.push(`Include ${quoted(file)}`);
  if (options.inlineRules !== undefined && options.inlineRules.trim() !== '')
    lines.push(options.inlineRules.trim());
  if ((options.removeRuleIds ?? []).length > 0)
    lines.push(`SecRuleRemoveById ${(options.removeRuleIds ?? []).join(' ')}`);
  return `${lines.join('\n')}\n`;
}
