import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStaticConfig } from '../../config/load-static.ts';
import { silentLogger } from '../../core/log.ts';
import { Wharf } from '../../router/wharf.ts';
import { type Backend, startServer } from '../helpers/backends.ts';
import { ensureChromium, launchChromium } from '../helpers/chromium.ts';
import { get } from '../helpers/wharf.ts';

// The dashboard in a real browser (Debian's Chromium, headless) on the demo's configuration: `npm start`'s
// demo/wharf.yml and a copy of demo/dynamic.yml, on ephemeral ports, with two backends of its own.
// UPDATE_SCREENSHOTS=1 rewrites docs/images/dashboard-*.png from this run.

const ROOT = join(import.meta.dirname, '../..');
const skip = await ensureChromium();

describe.skipIf(skip)('dashboard in Chromium (demo configuration)', () => {
  let dir: string;
  let dynamicFile: string;
  let demoText: string;
  let wharf: Wharf;
  let backends: Backend[];
  let browser: { context: BrowserContext; close(): Promise<void> };
  let page: Page;
  let home: string;

  beforeAll(async () => {
    backends = await Promise.all(
      [1, 2].map((n) =>
        startServer((req, res) => {
          res.end(req.url === '/health' ? 'ok\n' : `backend-${n}\n`);
        }),
      ),
    );
    dir = await mkdtemp(join(tmpdir(), 'wharf-dashboard-'));
    dynamicFile = join(dir, 'dynamic.yml');
    demoText = (await readFile(join(ROOT, 'demo/dynamic.yml'), 'utf8'))
      .replaceAll('http://127.0.0.1:9001', backends[0]!.url)
      .replaceAll('http://127.0.0.1:9002', backends[1]!.url);
    await writeFile(dynamicFile, demoText);
    const loaded = loadStaticConfig({
      args: [
        `--configFile=${join(ROOT, 'demo/wharf.yml')}`,
        '--entryPoints.web.address=127.0.0.1:0',
        '--entryPoints.wharf.address=127.0.0.1:0',
        `--providers.file.filename=${dynamicFile}`,
        `--accessLog.filePath=${join(dir, 'access.log')}`,
      ],
      env: {},
    });
    if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
    wharf = await Wharf.start({ staticConfig: loaded.config, logger: silentLogger() });
    await wharf.ready;
    home = `http://127.0.0.1:${wharf.port('wharf')}/dashboard/`;
    browser = await launchChromium();
    page = await browser.context.newPage();
    // Requests may only go to Wharf: the page has no CDN or other origin to reach.
    await page.route(
      (url) => url.host !== new URL(home).host,
      (route) => route.abort(),
    );
  });

  afterAll(async () => {
    await browser?.close();
    await wharf?.stop();
    await Promise.all((backends ?? []).map((b) => b.close()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // Opens an item's page and waits until it shows that item (the previous page stays until it renders).
  const open = async (kind: string, name: string) => {
    await page.goto(`${home}#/${kind}/${encodeURIComponent(name)}`);
    await page.locator('.detail h1', { hasText: name }).waitFor();
  };

  const screenshot = async (name: string) => {
    if (process.env.UPDATE_SCREENSHOTS === '1')
      await page.screenshot({ path: join(ROOT, 'docs/images', name), fullPage: true });
  };

  // What the API says, which the page must show: the demo's items plus the internal ones (api@internal…).
  const fromApi = async <T>(path: string): Promise<T> =>
    (await (await fetch(`http://127.0.0.1:${wharf.port('wharf')}/api/${path}`)).json()) as T;
  type Totals = Record<'routers' | 'services' | 'middlewares', { total: number }>;

  it('the overview shows the entryPoints, the counts by status and no problem', async () => {
    const totals = (await fromApi<{ http: Totals }>('overview')).http;
    // The demo's four routers, services and middlewares are among them.
    expect(totals.routers.total).toBeGreaterThanOrEqual(4);
    await page.goto(home);
    await page
      .locator('[data-kind=routers] [data-count=total]')
      .filter({ hasText: String(totals.routers.total) })
      .waitFor();
    expect(await page.locator('[data-kind=services] [data-count=total]').textContent()).toBe(
      String(totals.services.total),
    );
    expect(await page.locator('[data-kind=middlewares] [data-count=total]').textContent()).toBe(
      String(totals.middlewares.total),
    );
    expect(await page.locator('[data-kind=routers] [data-count=disabled] strong').textContent()).toBe('0');
    expect(await page.locator('#entrypoints tbody td:first-child').allTextContents()).toEqual([
      'web',
      'wharf',
    ]);
    expect(await page.locator('#problems').textContent()).toContain('No problems');
    await page.locator('#live[data-mode=live]').waitFor();
    await screenshot('dashboard-overview.png');
  });

  it('lists the routers, filters them by search and status, and opens one with its chain', async () => {
    await page.goto(`${home}#/routers`);
    const names = page.locator('#items a.name');
    await names.first().waitFor();
    const listed = (await fromApi<{ name: string }[]>('http/routers')).map((r) => r.name);
    expect(listed).toEqual(expect.arrayContaining(['admin@file', 'api@file', 'canary@file', 'whoami@file']));
    expect(await names.allTextContents()).toEqual(listed);
    await page.fill('#search', 'can');
    await page.locator('#items a.name').filter({ hasText: 'canary@file' }).waitFor();
    await expect.poll(() => page.locator('#items a.name').allTextContents()).toEqual(['canary@file']);
    await page.goto(`${home}#/routers?status=disabled`);
    await page.locator('.list .none').waitFor();

    await open('routers', 'api@file');
    await page.locator('#chain li').nth(2).waitFor();
    expect(await page.locator('#rule').textContent()).toBe('Host(`localhost`) && PathPrefix(`/api`)');
    expect(await page.locator('#chain li a').allTextContents()).toEqual([
      'strip-api@file',
      'demo-headers@file',
      'whoami@file',
    ]);
    await page.locator('#chain li a', { hasText: 'whoami@file' }).click();
    await page.locator('.detail h1', { hasText: 'whoami@file' }).waitFor();
    await expect
      .poll(() => page.locator('#servers [data-status]').allTextContents(), { timeout: 15_000 })
      .toEqual(['UP', 'UP']);
    expect(await page.locator('#servers code').allTextContents()).toEqual([
      backends[0]!.url,
      backends[1]!.url,
    ]);

    await open('middlewares', 'strip-api@file');
    expect(JSON.parse((await page.locator('pre.json').first().textContent()) ?? '')).toEqual({
      stripPrefix: { prefixes: ['/api'] },
    });
    await open('services', 'canary@file');
    expect(await page.locator('#children tbody tr').allInnerTexts()).toEqual([
      expect.stringMatching(/^blue@file\s+enabled\s+3$/),
      expect.stringMatching(/^green@file\s+enabled\s+1$/),
    ]);
  });

  it('shows request rates from /metrics on the router page and in the list', async () => {
    // The demo enables metrics.prometheus with router labels; the page scrapes /metrics every few seconds
    // and shows the rate between two scrapes. Traffic is sent until the page shows a rate above 0, bounded
    // in count and time.
    await open('routers', 'whoami@file');
    const requests = page
      .locator('.detail dt', { hasText: 'Requests' })
      .locator('xpath=following-sibling::dd[1]');
    const web = `http://127.0.0.1:${wharf.port('web')}`;
    const deadline = Date.now() + 45_000;
    let sent = 0;
    let shown = '';
    while (sent < 20_000 && Date.now() < deadline) {
      for (let i = 0; i < 20; i++) {
        expect((await get(web, '/', 'whoami.localhost')).status).toBe(200);
        sent++;
      }
      shown = (await requests.count()) > 0 ? ((await requests.textContent()) ?? '') : '';
      if (/^(?:<0\.1|\d+(?:\.\d)?)\/s \(5xx 0\/s\)$/.test(shown) && !shown.startsWith('0/s')) break;
    }
    expect(shown).toMatch(/^(?:<0\.1|[0-9.]+)\/s \(5xx 0\/s\)$/);
    expect(shown.startsWith('0/s')).toBe(false);
    // The list has a Requests column with the same router's rate.
    await page.goto(`${home}#/routers`);
    await page.locator('#items th', { hasText: 'Requests' }).waitFor();
  });

  it('shows a broken item and its diagnostic as soon as the file breaks, without reloading the page', async () => {
    await open('routers', 'canary@file');
    await page.locator('.detail[data-status=enabled]').waitFor();
    await page.evaluate(() => {
      (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    const broken = demoText
      .replace('rule: "Host(`canary.localhost`)"', 'rule: "Host(`canary.localhost`"')
      .replace('prefixes: ["/api"]', 'prefixs: ["/api"]');
    expect(broken).not.toBe(demoText);
    await writeFile(dynamicFile, broken);

    await page.locator('.detail[data-status=disabled]').waitFor({ timeout: 15_000 });
    const problem = page.locator('.problem[data-code=RULE_SYNTAX]');
    expect(await problem.locator('.message').textContent()).toContain(
      "'(' of Host is never closed at column 5",
    );
    expect(await problem.locator('dd').allTextContents()).toEqual([
      'router canary@file: key http.routers.canary.rule',
      expect.stringContaining('Correct the rule at the column shown'),
    ]);
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
    await screenshot('dashboard-broken-router.png');

    // The middleware left out for a bad key: its file, line and key, and the suggestion.
    await open('middlewares', 'strip-api@file');
    const unknownKey = page.locator('.problem[data-code=CONFIG_UNKNOWN_KEY]');
    await unknownKey.waitFor();
    expect(await unknownKey.locator('dd').allTextContents()).toEqual([
      `file ${dynamicFile}, line 25, key http.middlewares.strip-api.stripPrefix.prefixs`,
      expect.stringContaining('Suggested: "prefixes".'),
    ]);

    // The overview counts them and lists every problem, each linking to its item.
    await page.goto(home);
    await page.locator('[data-kind=routers] [data-count=disabled] strong').filter({ hasText: '2' }).waitFor();
    expect(await page.locator('#problems .problem').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('#problems .problem[data-item="canary@file"] a').getAttribute('href')).toBe(
      '#/routers/canary%40file',
    );

    // Repaired: the page follows again.
    await page.evaluate(() => {
      (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    await writeFile(dynamicFile, demoText);
    await page.locator('#problems .none').waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
  });
});
