import { readFileSync } from 'node:fs';

// `node bench/profile-share.ts <file.cpuprofile> [name,name,...]`: where a V8 CPU profile's busy samples
// went, as shares of all samples that are neither idle nor "(program)": the share whose stack holds a frame
// of router/tracing/, of @opentelemetry packages, and of the OTLP exporter; the inclusive share of each
// function named (e.g. `begin,upstream,(garbage collector)`); and the 25 functions with most self time.
// Shares, not times: profiles taken on a busy machine differ in length, not in proportions.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

const GROUPS: Readonly<Record<string, RegExp>> = {
  'router/tracing/': /router\/tracing\//,
  '@opentelemetry': /@opentelemetry/,
  'OTLP export (otlp-*)': /otlp-/,
};

/** Shares of a profile's busy samples, as printable lines. */
export function profileShares(
  profile: { nodes: ProfileNode[]; samples: number[] },
  names: readonly string[],
): string[] {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const label = (n: ProfileNode) =>
    `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/.*\//, '')}:${n.callFrame.lineNumber + 1}`;
  let busy = 0;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const groups = new Map<string, number>();
  for (const id of profile.samples) {
    const leaf = byId.get(id) as ProfileNode;
    const fn = leaf.callFrame.functionName;
    if (fn === '(idle)' || fn === '(program)') continue;
    busy++;
    self.set(label(leaf), (self.get(label(leaf)) ?? 0) + 1);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at) as ProfileNode;
      const key = label(n);
      if (!seen.has(key) && names.includes(n.callFrame.functionName)) {
        seen.add(key);
        inclusive.set(key, (inclusive.get(key) ?? 0) + 1);
      }
      for (const [g, re] of Object.entries(GROUPS))
        if (!seen.has(g) && re.test(n.callFrame.url)) {
          seen.add(g);
          groups.set(g, (groups.get(g) ?? 0) + 1);
        }
    }
  }
  const pct = (x: number) => `${((x / Math.max(1, busy)) * 100).toFixed(2)}%`;
  const byCount = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return [
    `${busy} busy samples`,
    ...byCount(groups).map(([g, c]) => `  stacks through ${g}: ${pct(c)}`),
    ...byCount(inclusive).map(([k, c]) => `  inclusive ${pct(c)} ${k}`),
    '  most self time:',
    ...byCount(self)
      .slice(0, 25)
      .map(([k, c]) => `    ${pct(c)} ${k}`),
  ];
}

if (import.meta.main) {
  const [file, names] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: node bench/profile-share.ts <file.cpuprofile> [name,name,...]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
  process.stdout.write(`${file}: ${profileShares(profile, (names ?? '').split(',')).join('\n')}\n`);
}
