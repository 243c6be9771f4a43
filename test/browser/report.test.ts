/**
 * The HTML report in a real browser (Debian's chromium through playwright-core): it opens from
 * disk with no console errors, every chart is drawn, the failing probes unfold into a diff.
 */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport } from '../../src/report/index.js';
import { collectErrors, launch } from './chromium.js';

const ROOT = join(import.meta.dirname, '..', '..');
let browser: Browser;
let file: string;

beforeAll(async () => {
  const { html } = await buildReport([], { root: ROOT });
  file = join(mkdtempSync(join(tmpdir(), 'tw-report-browser-')), 'report.html');
  writeFileSync(file, html);
  browser = await launch();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

describe('the report in chromium', () => {
  it('opens with no console errors and draws every chart', async () => {
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const errors = collectErrors(page);
    const t0 = performance.now();
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const openMs = performance.now() - t0;
    const charts = await page.$$eval('figure.chart', (figs) =>
      figs.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        return {
          name: f.getAttribute('data-chart'),
          marks: svg ? svg.querySelectorAll('path, rect, line, circle').length : 0,
          w: box?.width ?? 0,
          h: box?.height ?? 0,
          title: svg?.querySelector('.role-title-text, text')?.textContent ?? '',
        };
      }),
    );
    expect(errors).toEqual([]);
    expect(charts.length).toBeGreaterThanOrEqual(12);
    for (const c of charts) {
      expect(c.marks, `${c.name} has drawn marks`).toBeGreaterThan(20);
      expect(c.w, `${c.name} has a width`).toBeGreaterThan(200);
      expect(c.h, `${c.name} has a height`).toBeGreaterThan(150);
    }
    // lines with data points, not an empty frame: the depth chart holds line paths
    const lines = await page.$$eval('figure[data-chart="exact-free"] .mark-line path', (ps) => ps.length);
    expect(lines).toBeGreaterThanOrEqual(4);
    const nav = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      return { domContentLoaded: n?.domContentLoadedEventEnd ?? NaN, load: n?.loadEventEnd ?? NaN };
    });
    process.stderr.write(
      `report: ${(statSync(file).size / 1024).toFixed(0)} KiB; goto → load ${openMs.toFixed(0)} ms (in-page: DOMContentLoaded ${nav.domContentLoaded.toFixed(0)} ms, load ${nav.load.toFixed(0)} ms)\n`,
    );
    expect(openMs).toBeLessThan(10_000); // the target is 2 s on a quiet 2-core machine; CI shares its cores
    await page.close();
  }, 60_000);

  it('unfolds a failing probe into expected vs actual with the differences marked', async () => {
    const page = await browser.newPage();
    const errors = collectErrors(page);
    await page.goto(pathToFileURL(file).href);
    const probe = page.locator('details[data-probe="fs-mkdir-then-ls"]');
    await probe.locator('summary').click();
    await expect.poll(() => probe.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    const sides = await probe.locator('pre.out').allTextContents();
    expect(sides[0]).toContain('bar');
    expect(sides[1]).toContain('cannot access');
    expect(await probe.locator('del').count()).toBeGreaterThan(0);
    expect(await probe.locator('ins').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
