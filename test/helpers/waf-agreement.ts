import type { CorpusCategory, CorpusRequest } from '../fixtures/waf-corpus/corpus-request.ts';
import { expectedVerdict } from '../fixtures/waf-corpus/corpus-request.ts';

// The comparison of test/integration/waf-agreement.test.ts, kept pure so it is tested with tables:
// what each engine did with each corpus request, whether they agree, and the markdown report.

/** What one engine did with one request. */
export interface Observation {
  /** The answer's status; 0 when none came (connection closed or timed out). */
  readonly status: number;
  /** Whether the backend received the request. */
  readonly reached: boolean;
  /** Rule ids the engine's audit log names for the request, sorted, each once. */
  readonly ruleIds: readonly string[];
}

/** pass: the backend got it; waf: refused with rules matched; refused: refused with none (the HTTP parser). */
export type Verdict = 'pass' | 'waf' | 'refused';

/** The verdict of an observation. */
export function verdictOf(o: Observation): Verdict {
  if (o.reached) return 'pass';
  return o.ruleIds.length > 0 ? 'waf' : 'refused';
}

/** One corpus request's two observations. */
export interface Row {
  readonly request: CorpusRequest;
  readonly reference: Observation;
  readonly wharf: Observation;
}

/** How two observations compare. */
export interface Comparison {
  /** Both let it through, or both stopped it. */
  readonly blockAgrees: boolean;
  readonly rulesAgree: boolean;
  readonly onlyReference: readonly string[];
  readonly onlyWharf: readonly string[];
}

/** Compares the reference's and Wharf's observation of one request. */
export function compare(row: Row): Comparison {
  const ref = new Set(row.reference.ruleIds);
  const wharf = new Set(row.wharf.ruleIds);
  const onlyReference = [...ref].filter((id) => !wharf.has(id)).sort();
  const onlyWharf = [...wharf].filter((id) => !ref.has(id)).sort();
  return {
    blockAgrees: row.reference.reached === row.wharf.reached,
    rulesAgree: onlyReference.length === 0 && onlyWharf.length === 0,
    onlyReference,
    onlyWharf,
  };
}

/** Agreement counts over a set of rows. */
export interface Summary {
  readonly total: number;
  readonly blockAgree: number;
  readonly rulesAgree: number;
  readonly bothAgree: number;
  /** Rows where both engines' HTTP parsers accepted the request (neither verdict is `refused`). */
  readonly inspected: number;
  readonly inspectedRulesAgree: number;
}

/** Counts agreement over rows. */
export function summarize(rows: readonly Row[]): Summary {
  let blockAgree = 0;
  let rulesAgree = 0;
  let bothAgree = 0;
  let inspected = 0;
  let inspectedRulesAgree = 0;
  for (const row of rows) {
    const c = compare(row);
    if (c.blockAgrees) blockAgree++;
    if (c.rulesAgree) rulesAgree++;
    if (c.blockAgrees && c.rulesAgree) bothAgree++;
    if (verdictOf(row.reference) !== 'refused' && verdictOf(row.wharf) !== 'refused') {
      inspected++;
      if (c.rulesAgree) inspectedRulesAgree++;
    }
  }
  return { total: rows.length, blockAgree, rulesAgree, bothAgree, inspected, inspectedRulesAgree };
}

/** A percentage with one decimal. */
export function pct(part: number, whole: number): string {
  return whole === 0 ? '-' : `${((part / whole) * 100).toFixed(1)}%`;
}

function describe(o: Observation): string {
  const v = verdictOf(o);
  const status = o.status === 0 ? 'no answer' : String(o.status);
  return `${v} (${status})`;
}

const ids = (list: readonly string[]): string => (list.length === 0 ? '-' : list.join(' '));

/** The plain-text table of disagreements the test prints. */
export function disagreementTable(rows: readonly Row[], causes: Readonly<Record<string, string>>): string {
  const out: string[] = [];
  for (const row of rows) {
    const c = compare(row);
    if (c.blockAgrees && c.rulesAgree) continue;
    out.push(
      `${row.request.name} [${row.request.category}]: nginx ${describe(row.reference)} ${ids(row.reference.ruleIds)}` +
        ` | wharf ${describe(row.wharf)} ${ids(row.wharf.ruleIds)}` +
        (c.rulesAgree ? '' : ` | only nginx: ${ids(c.onlyReference)}, only wharf: ${ids(c.onlyWharf)}`) +
        `\n    cause: ${causes[row.request.name] ?? 'NOT EXPLAINED'}`,
    );
  }
  return out.length === 0 ? '(no disagreement)' : out.join('\n');
}

/** Per category: requests, blocked by each engine, and agreement. */
export function categoryTable(rows: readonly Row[]): string {
  const cats = new Map<CorpusCategory, Row[]>();
  for (const row of rows) cats.set(row.request.category, [...(cats.get(row.request.category) ?? []), row]);
  const lines = [
    '| category | requests | stopped by nginx + ModSecurity | stopped by Wharf | block/pass agree | rule ids agree |',
    '|---|---|---|---|---|---|',
  ];
  for (const [cat, list] of cats) {
    const s = summarize(list);
    const stopped = (pick: (r: Row) => Observation) => list.filter((r) => !pick(r).reached).length;
    lines.push(
      `| ${cat} | ${list.length} | ${stopped((r) => r.reference)} | ${stopped((r) => r.wharf)} | ${s.blockAgree} | ${s.rulesAgree} |`,
    );
  }
  return lines.join('\n');
}

/** Requests whose outcome differs from what a WAF should do (both engines), as a markdown list. */
export function crsMisses(rows: readonly Row[]): string {
  const missed = rows.filter((r) => expectedVerdict(r.request.category) === 'block' && r.reference.reached);
  const falsePositives = rows.filter(
    (r) => expectedVerdict(r.request.category) === 'pass' && !r.reference.reached,
  );
  const item = (r: Row) => `\`${r.request.name}\` (${ids(r.reference.ruleIds)})`;
  return [
    `- attacks the reference lets through at paranoia level 1 (${missed.length}): ${missed.map(item).join(', ') || 'none'}`,
    `- benign requests the reference stops (${falsePositives.length}): ${falsePositives.map(item).join(', ') || 'none'}`,
  ].join('\n');
}

/** The markdown table of every disagreement, with its cause. */
export function disagreementMarkdown(rows: readonly Row[], causes: Readonly<Record<string, string>>): string {
  const lines = [
    '| request | category | nginx + ModSecurity | Wharf | rule ids only in nginx / only in Wharf | cause |',
    '|---|---|---|---|---|---|',
  ];
  let n = 0;
  for (const row of rows) {
    const c = compare(row);
    if (c.blockAgrees && c.rulesAgree) continue;
    n++;
    const cell = (o: Observation) => `${describe(o)}: ${ids(o.ruleIds)}`;
    lines.push(
      `| \`${row.request.name}\` | ${row.request.category} | ${cell(row.reference)} | ${cell(row.wharf)} | ` +
        `${ids(c.onlyReference)} / ${ids(c.onlyWharf)} | ${causes[row.request.name] ?? 'not explained'} |`,
    );
  }
  return n === 0 ? 'None: both engines agreed on every request.' : lines.join('\n');
}
