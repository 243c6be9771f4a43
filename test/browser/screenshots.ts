/**
 * The README's pictures of `tw report` and `tw view` (not a test): `npx tsx test/browser/screenshots.ts`
 * writes docs/images/report.png, viewer.png and viewer-live.png. Needs the sandbox (live mode
 * runs `real`) and the shipped model (the viewer replays on `learned`).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildReport } from '../../src/report/index.js';
import { startViewServer } from '../../src/view/server.js';
import { launch } from './chromium.js';

const ROOT = join(import.meta.dirname, '..', '..');
const OUT = join(ROOT, 'docs', 'images');
mkdirSync(OUT, { recursive: true });

const browser = await launch();
try {
  const { html } = await buildReport([], { root: ROOT });
  const file = join(mkdtempSync(join(tmpdir(), 'tw-shots-')), 'report.html');
  writeFileSync(file, html);
  const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
  await page.goto(pathToFileURL(file).href);
  await page.locator('figure[data-chart="exact-free"]').scrollIntoViewIfNeeded();
  await page.evaluate(() => window.scrollBy(0, -90));
  await page.screenshot({ path: join(OUT, 'report.png') });
  await page.close();

  const view = await startViewServer({
    corpora: [{ file: join(ROOT, 'data/corpus/test.jsonl'), label: 'data/corpus/test.jsonl' }],
    probeReports: [join(ROOT, 'docs/results/probe-learned.json')],
    port: 0,
    compareBackend: 'learned',
    liveBackends: ['real', 'learned', 'null'],
  });
  try {
    const v = await browser.newPage({ viewport: { width: 1180, height: 700 } });
    await v.goto(`${view.url}/#s=0:0`);
    const fail = v.locator('tr.turn[data-status="fail"]').first();
    await fail.waitFor({ timeout: 120_000 });
    await fail.click();
    await v.screenshot({ path: join(OUT, 'viewer.png') });
    await v.goto(`${view.url}/#live`);
    const input = v.locator('#live-cmd');
    await input.waitFor();
    for (let i = 0; i < 100 && !(await input.isEnabled()); i++) await new Promise((r) => setTimeout(r, 100));
    for (const cmd of ['mkdir -p /tmp/w && cd /tmp/w && printf "b\\na\\n" > x.txt', 'sort x.txt && wc -l x.txt']) {
      await input.fill(cmd);
      await input.press('Enter');
      await v.locator('.live-col[data-backend="learned"] h4').first().waitFor({ timeout: 60_000 });
      await v.waitForFunction(
        (c) =>
          !document.querySelector('#live-log .live-turn')?.textContent?.includes('running') &&
          document.querySelector('#live-log .live-turn code')?.textContent === `$ ${c}`,
        cmd,
        { timeout: 60_000 },
      );
    }
    await v.screenshot({ path: join(OUT, 'viewer-live.png') });
  } finally {
    await view.close();
  }
} finally {
  await browser.close();
}
process.stdout.write(`wrote ${OUT}/report.png, viewer.png, viewer-live.png\n`);
