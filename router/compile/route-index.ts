import type { MatchRequest } from '../../core/rules/match-request.ts';
import type { Matcher } from '../../core/rules/rule-matcher.ts';
import type { RuleAst } from '../../core/rules/rule-parser.ts';
import { ITEMS_PER_PAUSE, runSync, type Steps, sortSteps } from './slices.ts';

/** A router as the index sees it: its rule's syntax tree and compiled matcher, and what to serve. */
export interface IndexedRoute<T> {
  readonly name: string;
  readonly priority: number;
  readonly ast: RuleAst;
  readonly matcher: Matcher;
  readonly value: T;
}

/** What the index keeps of a route and returns on a match (the syntax tree is dropped after indexing). */
export interface RouteEntry<T> {
  readonly name: string;
  /** The router's priority (an entryPoint redirection with a `priority` yields to higher ones). */
  readonly priority: number;
  readonly matcher: Matcher;
  readonly value: T;
}

const NONE: readonly number[] = [];
/** The matcher of a route whose rule is exactly Host(`h`): finding it in h's bucket is the match. */
const IN_BUCKET: Matcher = () => true;
const DOT = 46;

/**
 * Routes ordered by priority (higher first), ties broken deterministically by name (ascending, plain
 * string compare). Routes whose rule requires a plain Host are bucketed by host, so a request only
 * tests the routes of its host plus those without a Host requirement, however many hosts there are.
 */
export class RouteIndex<T> {
  /** All routes in priority order; a route's rank is its position here. */
  #ordered: RouteEntry<T>[] = [];
  /** Ranks (ascending) of routes requiring Host(`h`), by h without a trailing dot. */
  readonly #exact = new Map<string, number[]>();
  /** Ranks of routes requiring Host(`*.s`), by s. */
  readonly #wildcard = new Map<string, number[]>();
  /** Ranks of every other route (including Host(`*`)). */
  readonly #generic: number[] = [];

  /** Sorts the routes and buckets them by the Host their rule requires. */
  constructor(routes: readonly IndexedRoute<T>[]) {
    runSync(this.#fill([...routes].sort(byRank)));
  }

  /** The constructor's work, pausing every few routes (router/compile/slices.ts). */
  static *steps<T>(routes: readonly IndexedRoute<T>[]): Steps<RouteIndex<T>> {
    const index = new RouteIndex<T>([]);
    yield* index.#fill(yield* sortSteps([...routes], byRank));
    return index;
  }

  /** Number of routes in the index. */
  get size(): number {
    return this.#ordered.length;
  }

  *#fill(sorted: readonly IndexedRoute<T>[]): Steps<void> {
    const ordered = new Array<RouteEntry<T>>(sorted.length);
    for (let rank = 0; rank < sorted.length; rank++) {
      if (rank % ITEMS_PER_PAUSE === ITEMS_PER_PAUSE - 1) yield;
      const route = sorted[rank] as IndexedRoute<T>;
      const host = requiredHost(route.ast);
      let matcher = route.matcher;
      if (host === undefined) this.#generic.push(rank);
      else if (host.startsWith('*.')) push(this.#wildcard, host.slice(2), rank);
      else {
        push(this.#exact, host, rank);
        if (isOnlyHost(route.ast)) matcher = IN_BUCKET;
      }
      ordered[rank] = { name: route.name, priority: route.priority, matcher, value: route.value };
    }
    this.#ordered = ordered;
  }

  /** The highest-priority route whose matcher accepts the request, or undefined. */
  match(r: MatchRequest): RouteEntry<T> | undefined {
    let host = r.host;
    if (host.charCodeAt(host.length - 1) === DOT) host = host.slice(0, -1);
    const exact = (host !== '' && this.#exact.get(host)) || NONE;
    let wildcard = NONE;
    if (this.#wildcard.size > 0) {
      const dot = host.indexOf('.');
      if (dot > 0) wildcard = this.#wildcard.get(host.slice(dot + 1)) ?? NONE;
    }
    const generic = this.#generic;
    const ordered = this.#ordered;
    // Merge the three rank-sorted lists, testing candidates in global priority order.
    let i = 0;
    let j = 0;
    let k = 0;
    for (;;) {
      const a = i < exact.length ? exact[i]! : Number.MAX_SAFE_INTEGER;
      const b = j < wildcard.length ? wildcard[j]! : Number.MAX_SAFE_INTEGER;
      const c = k < generic.length ? generic[k]! : Number.MAX_SAFE_INTEGER;
      let rank: number;
      if (a <= b && a <= c) {
        if (a === Number.MAX_SAFE_INTEGER) return undefined;
        rank = a;
        i++;
      } else if (b <= c) {
        rank = b;
        j++;
      } else {
        rank = c;
        k++;
      }
      const route = ordered[rank]!;
      if (route.matcher(r)) return route;
    }
  }
}

const compare = <V extends number | string>(a: V, b: V) => (a < b ? -1 : a > b ? 1 : 0);
/** Higher priority first, ties by name ascending. */
const byRank = <T>(a: IndexedRoute<T>, b: IndexedRoute<T>) =>
  compare(b.priority, a.priority) || compare(a.name, b.name);

function push(map: Map<string, number[]>, key: string, rank: number): void {
  const list = map.get(key);
  if (list) list.push(rank);
  else map.set(key, [rank]);
}

/**
 * The lower-case host (trailing dot dropped) of a plain Host(`h`) or Host(`*.s`) that the rule requires,
 * found among the terms of its top-level conjunction; an exact host is preferred over a wildcard.
 */
function requiredHost(ast: RuleAst): string | undefined {
  let wildcard: string | undefined;
  const stack: RuleAst[] = [ast];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.type === 'and') stack.push(node.right, node.left);
    else if (node.type === 'matcher' && node.name === 'Host' && node.args.length === 1) {
      let h = node.args[0]!.toLowerCase();
      if (h.charCodeAt(h.length - 1) === DOT) h = h.slice(0, -1);
      if (h === '' || h === '*') continue;
      if (!h.includes('*')) return h;
      if (h.startsWith('*.') && h.length > 2 && !h.includes('*', 1)) wildcard ??= h;
    }
  }
  return wildcard;
}

/**
 * Whether the whole rule is one Host(`h`) with an exact h: the bucket lookup (lower-case host, one trailing
 * dot dropped on both sides) then decides exactly what the Host matcher would.
 */
function isOnlyHost(ast: RuleAst): boolean {
  return ast.type === 'matcher' && ast.name === 'Host' && ast.args.length === 1;
}

/** Traefik's default priority: the rule's length (in UTF-8 bytes, as Go's len counts it). */
export function defaultPriority(rule: string): number {
  return Buffer.byteLength(rule, 'utf8');
}
