import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { aptInstall } from '../docker/image.ts';

// Debian's Chromium, headless, driven by playwright-core (which downloads no browser of its own).

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Makes sure Debian's Chromium is installed: as root on Debian, `apt-get install chromium` (with a font,
 * so pages render text) when it is missing. Returns why browser tests must skip (WHARF_CHROMIUM=off, or
 * no way to install it), or undefined when they can run. With WHARF_REQUIRE_ALL=1 (CI) a skip fails the run.
 */
export async function ensureChromium(): Promise<string | undefined> {
  if (process.env.WHARF_CHROMIUM === 'off') return 'disabled by WHARF_CHROMIUM=off';
  if (existsSync(CHROMIUM)) return undefined;
  const uid = process.getuid?.();
  if (uid !== 0) return `chromium is not installed, and installing it needs root (uid is ${uid})`;
  if (!existsSync('/etc/debian_version'))
    return 'chromium is not installed, and installing it is only automated on Debian';
  console.log('[browser] chromium is missing: apt-get install chromium …');
  await aptInstall(['chromium', 'fonts-dejavu-core']);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is still missing after apt-get install chromium`);
  return undefined;
}

/** A headless Chromium with an empty profile of its own; `close` ends it and removes the profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'wharf-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 860 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
