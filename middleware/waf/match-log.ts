// Rule messages as libmodsecurity's log callback and intervention give them (RuleMessage's text form):
//   ModSecurity: Warning. Matched "Operator `Rx' with parameter `…' against variable `ARGS:id' (Value: `…' )
//   [file "…"] [line "46"] [id "942100"] [rev ""] [msg "…"] [data "Matched Data: … found within ARGS:id: …"]
//   [severity "2"] [ver "…"] [tag "…"] … [unique_id "…"] [ref "…"]

/** One matched rule, as the audit log reports it. */
export interface RuleMatch {
  readonly id: string;
  readonly msg?: string;
  readonly data?: string;
  readonly severity?: number;
  /** The variable the rule matched (ARGS:id, REQUEST_HEADERS:User-Agent), when the message names it. */
  readonly variable?: string;
  /** The value of that variable the operator saw (after transformations), when the message shows it. */
  readonly value?: string;
  readonly file?: string;
  readonly line?: number;
  readonly tags?: readonly string[];
  /** True for the rule whose disruptive action stopped the request. */
  readonly disruptive?: boolean;
}

const FIELD = /\[(\w+) "((?:[^"\\]|\\.)*)"\]/g;
const AGAINST = /against variable `([^']*)' \(Value: `([\s\S]*?)' \)/;
const FOUND_WITHIN = /found within ([A-Z_]+(?::[^:\s]+)?): /;

/** Parses one message; undefined when it names no rule id (engine notices, not rule matches). */
export function parseRuleMessage(text: string): RuleMatch | undefined {
  const fields = new Map<string, string>();
  const tags: string[] = [];
  for (const m of text.matchAll(FIELD)) {
    const [, key = '', value = ''] = m;
    if (key === 'tag') tags.push(value);
    else if (!fields.has(key)) fields.set(key, value);
  }
  const id = fields.get('id');
  if (id === undefined || id === '') return undefined;
  const against = AGAINST.exec(text);
  const data = fields.get('data') || undefined;
  const variable = against?.[1] ?? (data === undefined ? undefined : FOUND_WITHIN.exec(data)?.[1]);
  const severity = fields.get('severity');
  const line = fields.get('line');
  return {
    id,
    ...(fields.get('msg') ? { msg: fields.get('msg') } : {}),
    ...(data !== undefined ? { data } : {}),
    ...(severity ? { severity: Number(severity) } : {}),
    ...(variable !== undefined ? { variable } : {}),
    ...(against?.[2] !== undefined ? { value: against[2] } : {}),
    ...(fields.get('file') ? { file: fields.get('file') } : {}),
    ...(line ? { line: Number(line) } : {}),
    ...(tags.length > 0 ? { tags } : {}),
    ...(text.includes('Access denied') || text.includes('Redirecting') ? { disruptive: true } : {}),
  };
}

/** The matches of a transaction's messages, one per rule id (the first message of an id wins). */
export function ruleMatches(messages: readonly (string | null | undefined)[]): RuleMatch[] {
  const byId = new Map<string, RuleMatch>();
  for (const text of messages) {
    if (!text) continue;
    const match = parseRuleMessage(text);
    if (match === undefined) continue;
    const seen = byId.get(match.id);
    if (seen === undefined) byId.set(match.id, match);
    else if (match.disruptive) byId.set(match.id, { ...seen, disruptive: true });
  }
  return [...byId.values()];
}
