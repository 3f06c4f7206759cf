import { z } from 'zod';

// waf: Wharf's own middleware (issue 17; Traefik's open edition has none). ModSecurity (libmodsecurity3)
// with the OWASP Core Rule Set. Descriptions are user documentation (docs/reference/dynamic.md,
// docs/middlewares/waf.md). The SecLang the options become is middleware/waf/seclang-config.ts.

/** Where Debian's modsecurity-crs package installs the Core Rule Set's rules. */
export const DEBIAN_CRS_PATH = '/usr/share/modsecurity-crs';
/** Debian's CRS setup file (crs-setup.conf), used with DEBIAN_CRS_PATH. */
export const DEBIAN_CRS_SETUP = '/etc/modsecurity/crs/crs-setup.conf';
/** Request body bytes inspected by default: Debian's modsecurity.conf-recommended SecRequestBodyLimit. */
export const DEFAULT_REQUEST_BODY_LIMIT = 13_107_200;

// A rule id (942100) or a range (942100-942199), as SecRuleRemoveById takes them.
const RULE_ID = /^\d+(?:-\d+)?$/;

/** The Core Rule Set part of the waf options. */
export const WafCrsSchema = z.strictObject({
  path: z.string().min(1).optional().meta({
    description:
      "Folder of the Core Rule Set: Debian's layout (rules/*.conf, setup in /etc/modsecurity/crs) for the default, else a CRS release folder with crs-setup.conf and rules/*.conf",
    docDefault: DEBIAN_CRS_PATH,
  }),
  paranoiaLevel: z.number().int().min(1).max(4).optional().meta({
    description: 'CRS paranoia level, 1 (fewest false positives) to 4 (most rules)',
    docDefault: '1',
  }),
  inboundAnomalyThreshold: z.number().int().min(1).optional().meta({
    description: 'Request anomaly score at which the request is blocked (a critical match scores 5)',
    docDefault: '5',
  }),
  outboundAnomalyThreshold: z.number().int().min(1).optional().meta({
    description: 'Response anomaly score at which the response is blocked (with responseInspection)',
    docDefault: '4',
  }),
});

/** Options of the waf middleware: ModSecurity with the OWASP Core Rule Set in front of the service. */
export const WafSchema = z.strictObject({
  crs: WafCrsSchema.optional().describe(
    'Run the OWASP Core Rule Set (an empty object: Debian’s CRS with its defaults); unset: only rules and inlineRules run',
  ),
  rules: z.array(z.string().min(1)).optional().describe('SecLang rule files or globs, loaded after the CRS'),
  inlineRules: z.string().optional().describe('SecLang rules text, loaded after rules'),
  mode: z.enum(['block', 'detect']).optional().meta({
    description: 'block: refuse what the rules deny; detect: only log it (ModSecurity DetectionOnly)',
    docDefault: 'block',
  }),
  requestBodyLimit: z
    .number()
    .int()
    .min(1)
    .optional()
    .meta({
      description: 'Request body bytes read and inspected (SecRequestBodyLimit)',
      docDefault: String(DEFAULT_REQUEST_BODY_LIMIT),
    }),
  requestBodyLimitAction: z.enum(['reject', 'inspectPartial']).optional().meta({
    description:
      'A larger body: reject refuses it (in block mode), inspectPartial inspects the first requestBodyLimit bytes and forwards it whole',
    docDefault: 'reject',
  }),
  responseInspection: z.boolean().optional().meta({
    description:
      'Inspect response headers and bodies (text/plain, text/html, text/xml, first 512 KiB; the response is held until inspected)',
    docDefault: 'false',
  }),
  removeRuleIds: z
    .array(
      z
        .union([
          z.number().int().min(1),
          z.string().regex(RULE_ID, 'must be a rule id or a range like 942100-942199'),
        ])
        .transform(String),
    )
    .optional()
    .describe('Rule ids or ranges (942100-942199) not run for this middleware (SecRuleRemoveById)'),
  auditLog: z
    .string()
    .min(1)
    .optional()
    .describe(
      'File the matches are appended to, one JSON line per request with matched rules (ids, messages, matched data, requestId)',
    ),
});
