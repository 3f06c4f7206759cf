import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { bridgePrefix, run, runOwnerPid } from './image.ts';

// Forwarding for the bridges of our own dockerd. A Docker Engine that ever ran on a machine sets the iptables
// FORWARD policy to DROP; our dockerd runs with --iptables=false, and bridged traffic between two containers
// goes through FORWARD when br_netfilter is loaded, so without these rules the containers of a test network
// (compose stacks included) cannot reach each other and the tests time out with no hint.
//
// The rules accept traffic in and out of this run's bridges only (`wt<run>…`, see bridgePrefix: test
// networks and compose networks get such names), carry the comment `wharf-test <runId>`, are inserted at the
// start of the run and deleted at its teardown; a later run deletes those of runs whose vitest is gone.

const COMMENT = 'wharf-test';

/** The rules that forwarding a run's bridges needs, and a way to delete them. */
export interface Forwarding {
  /** Deletes the rules this run inserted (idempotent). */
  remove(): Promise<void>;
}

function onPath(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const dir of dirs) if (dir && existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

/**
 * The iptables front ends whose FORWARD chain filters packets here: nf_tables always (Debian's default), the
 * legacy tables only when they are loaded (an engine that used iptables-legacy). Plain `iptables` elsewhere.
 */
function frontEnds(): string[] {
  const nft = onPath('iptables-nft');
  const legacy = onPath('iptables-legacy');
  const out: string[] = [];
  if (nft) out.push(nft);
  const legacyLoaded = (() => {
    try {
      return readFileSync('/proc/net/ip_tables_names', 'utf8').split('\n').includes('filter');
    } catch {
      return false;
    }
  })();
  if (legacy && legacyLoaded) out.push(legacy);
  if (out.length === 0) {
    const plain = onPath('iptables');
    if (plain) out.push(plain);
  }
  return out;
}

function ruleArgs(direction: '-i' | '-o', prefix: string, runId: string): string[] {
  return [direction, `${prefix}+`, '-m', 'comment', '--comment', `${COMMENT} ${runId}`, '-j', 'ACCEPT'];
}

/**
 * Inserts ACCEPT rules for this run's bridges at the top of FORWARD in every iptables front end. Fails when
 * the policy is DROP and the rules cannot be inserted, saying why (the compose tests could not work).
 */
export async function allowForwarding(runId: string, log: (message: string) => void): Promise<Forwarding> {
  const prefix = bridgePrefix(runId);
  const inserted: Array<{ tool: string; args: string[] }> = [];
  for (const tool of frontEnds()) {
    const listed = await run(tool, ['-w', '5', '-S', 'FORWARD'], 15_000);
    if (listed.code !== 0) continue;
    const drops = /^-P FORWARD DROP$/m.test(listed.output);
    for (const direction of ['-i', '-o'] as const) {
      const args = ruleArgs(direction, prefix, runId);
      const r = await run(tool, ['-w', '5', '-I', 'FORWARD', '1', ...args], 15_000);
      if (r.code === 0) inserted.push({ tool, args });
      else if (drops) {
        await removeRules(inserted);
        throw new Error(
          `the iptables FORWARD policy is DROP (${tool}; a Docker Engine that ran here sets it), and allowing ` +
            `forwarding for this run's bridges ${prefix}+ failed: ${r.output.trim()}. Containers of test ` +
            'networks could not reach each other. Fix: `iptables -P FORWARD ACCEPT`, or allow the rule.',
        );
      } else log(`could not add an iptables FORWARD rule for ${prefix}+ (${tool}): ${r.output.trim()}`);
    }
    if (drops)
      log(`iptables FORWARD policy is DROP (${tool}): accepting forwarding for ${prefix}+ during the run`);
  }
  let removed: Promise<void> | undefined;
  return {
    remove: () => {
      removed ??= removeRules(inserted);
      return removed;
    },
  };
}

async function removeRules(rules: ReadonlyArray<{ tool: string; args: string[] }>): Promise<void> {
  for (const { tool, args } of rules) await run(tool, ['-w', '5', '-D', 'FORWARD', ...args], 15_000);
}

/** Splits one line of `iptables -S` into arguments (double-quoted words keep their spaces). */
export function splitRule(line: string): string[] {
  return (line.match(/"[^"]*"|\S+/g) ?? []).map((w) => (w.startsWith('"') ? w.slice(1, -1) : w));
}

/** The run id in a FORWARD rule of ours (`--comment "wharf-test <runId>"`), or undefined. */
export function runIdOfRule(line: string): string | undefined {
  const args = splitRule(line);
  const i = args.indexOf('--comment');
  const comment = i === -1 ? undefined : args[i + 1];
  return comment?.startsWith(`${COMMENT} `) ? comment.slice(COMMENT.length + 1) : undefined;
}

/** Deletes the FORWARD rules of runs whose vitest process is gone (`alive` tells). */
export async function removeStaleForwarding(alive: (pid: number) => boolean): Promise<number> {
  let removed = 0;
  for (const tool of frontEnds()) {
    const listed = await run(tool, ['-w', '5', '-S', 'FORWARD'], 15_000);
    if (listed.code !== 0) continue;
    for (const line of listed.output.split('\n')) {
      if (!line.startsWith('-A FORWARD ')) continue;
      const runId = runIdOfRule(line);
      const owner = runId === undefined ? undefined : runOwnerPid(runId);
      if (owner === undefined || alive(owner)) continue;
      const r = await run(tool, ['-w', '5', '-D', ...splitRule(line).slice(1)], 15_000);
      if (r.code === 0) removed++;
    }
  }
  return removed;
}
