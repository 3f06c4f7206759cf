// Readers of the two audit logs the WAF agreement test compares, both keyed by client address (each
// corpus request leaves from an address of its own, test/helpers/raw-http.ts):
// - libmodsecurity's JSON audit log as nginx's connector writes it (SecAuditLogFormat JSON, part H):
//   one object a line, {"transaction": {"client_ip", "request": {...}, "response": {"http_code"},
//   "messages": [{"details": {"ruleId"}}]}};
// - Wharf's waf audit log (middleware/waf/audit-log.ts): one object a line, {"clientIp", "action",
//   "status", "rules": [{"id"}]}, written only for requests a rule matched.

/** What one engine's audit log says about one request. */
export interface AuditFacts {
  /** Matched rule ids, sorted, each once. */
  readonly ruleIds: readonly string[];
  /** The status the engine logged (nginx: the response's; Wharf: the intervention's), when it logged one. */
  readonly status?: number;
}

const sortedUnique = (ids: readonly string[]): string[] => [...new Set(ids)].sort();

function lines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
}

/** Parses nginx + ModSecurity's JSON audit log into facts by client address (a later entry adds to an earlier one). */
export function parseModsecAuditLog(text: string): Map<string, AuditFacts> {
  const out = new Map<string, AuditFacts>();
  for (const entry of lines(text)) {
    const t = (entry as { transaction?: ModsecTransaction }).transaction;
    if (t?.client_ip === undefined) continue;
    const ids = (t.messages ?? []).map((m) => m.details?.ruleId).filter((id): id is string => !!id);
    const before = out.get(t.client_ip);
    out.set(t.client_ip, {
      ruleIds: sortedUnique([...(before?.ruleIds ?? []), ...ids]),
      ...(t.response?.http_code !== undefined ? { status: t.response.http_code } : {}),
    });
  }
  return out;
}

interface ModsecTransaction {
  readonly client_ip?: string;
  readonly response?: { readonly http_code?: number };
  readonly messages?: ReadonlyArray<{ readonly details?: { readonly ruleId?: string } }>;
}

/** Parses Wharf's waf audit log into facts by client address. */
export function parseWharfAuditLog(text: string): Map<string, AuditFacts> {
  const out = new Map<string, AuditFacts>();
  for (const entry of lines(text)) {
    const r = entry as WharfRecord;
    if (r.clientIp === undefined) continue;
    const before = out.get(r.clientIp);
    out.set(r.clientIp, {
      ruleIds: sortedUnique([...(before?.ruleIds ?? []), ...(r.rules ?? []).map((m) => m.id)]),
      ...(r.status !== undefined ? { status: r.status } : {}),
    });
  }
  return out;
}

interface WharfRecord {
  readonly clientIp?: string;
  readonly status?: number;
  readonly rules?: ReadonlyArray<{ readonly id: string }>;
}
