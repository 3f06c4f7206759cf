/**
 * The environment for a Wharf process a test starts: this process's, without `WHARF_*` variables. Wharf
 * reads those as static configuration and refuses unknown keys, so the test harness's own switches
 * (WHARF_DOCKER, WHARF_PEBBLE, WHARF_REQUIRE_ALL, WHARF_CRASH_SEED) would make it exit at start.
 */
export function programEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('WHARF_')) env[name] = value;
  }
  return { ...env, ...extra };
}
