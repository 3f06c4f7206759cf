import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { WharfError } from '../../config/errors.ts';
import type { ModSecurityAddon, RulesHandle } from './engine.ts';
import { type WafOptions, wafSecLang } from './seclang-config.ts';

// Compiled rules sets, one per distinct generated configuration, shared by every waf middleware instance
// with those options: compiling the CRS takes about half a second, and a reload that keeps the options
// keeps the instance anyway (middleware/instances.ts), so this cache serves equal options under two names.

interface Entry {
  readonly rules: RulesHandle;
  readonly file: string;
  users: number;
}

const cache = new Map<string, Entry>();

/** The options with `rules` paths made absolute (from the working directory), as the generated file needs. */
export function absoluteRules(options: WafOptions): WafOptions {
  if (options.rules === undefined) return options;
  return { ...options, rules: options.rules.map((f) => (isAbsolute(f) ? f : resolve(f))) };
}

/**
 * Writes the configuration for these options (wafSecLang) to a file named after its content, in
 * `<tmpdir>/wharf-waf/`, and returns its path; an existing file with that name already holds that text.
 */
export function writeWafConfig(options: WafOptions, dir: string = join(tmpdir(), 'wharf-waf')): string {
  const text = wafSecLang(absoluteRules(options));
  const file = join(dir, `${createHash('sha256').update(text).digest('hex').slice(0, 16)}.conf`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  }
  return file;
}

/** A compiled rules set in use by one middleware instance; `release` once when the instance closes. */
export interface RulesLease {
  readonly rules: RulesHandle;
  /** The generated configuration file the rules were compiled from. */
  readonly file: string;
  release(): void;
}

/**
 * The compiled rules for these options, compiled now (synchronously, on first use) or shared with the
 * instances that use the same configuration. Throws WAF_RULES_INVALID with libmodsecurity's message.
 */
export function leaseRules(addon: ModSecurityAddon, options: WafOptions): RulesLease {
  const file = writeWafConfig(options);
  let entry = cache.get(file);
  if (entry === undefined) {
    let rules: RulesHandle;
    try {
      rules = addon.rulesFromFile(file);
    } catch (err) {
      throw new WharfError('WAF_RULES_INVALID', { problem: (err as Error).message }, { cause: err });
    }
    entry = { rules, file, users: 0 };
    cache.set(file, entry);
  }
  entry.users++;
  const held = entry;
  let released = false;
  return {
    rules: held.rules,
    file,
    release: () => {
      if (released) return;
      released = true;
      // The rules themselves are freed by the addon once no transaction and no handle uses them.
      if (--held.users === 0 && cache.get(file) === held) cache.delete(file);
    },
  };
}
