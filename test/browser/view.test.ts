/**
 * The viewer in a real browser (Debian's chromium through playwright-core), against a server in
 * this process: a click on a failing turn shows the byte diff, a session that fails validation
 * shows its error alone, and live mode runs one command on `real` and `null` and shows both.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startViewServer, type ViewServer } from '../../src/view/server.js';
import { collectErrors, launch } from './chromium.js';

const ROOT = join(import.meta.dirname, '..', '..');
let browser: Browser;
let view: ViewServer;

beforeAll(async () => {
  const lines = readFileSync(join(ROOT, 'data/corpus/test.jsonl'), 'utf8').split('\n').filter(Boolean).slice(0, 30);
  // line 3: a session that fails validation (no turns)
  lines.splice(2, 0, JSON.stringify({ format: 'terminalworld.session', version: 1, id: 'broken' }));
  const corpus = join(mkdtempSync(join(tmpdir(), 'tw-view-')), 'sessions.jsonl');
  writeFileSync(corpus, lines.join('\n') + '\n');
  view = await startViewServer({
    corpora: [corpus],
    probeReports: [join(ROOT, 'docs/results/probe-learned.json')],
    port: 0,
    compareBackend: 'null',
    liveBackends: ['real', 'null'],
  });
  browser = await launch();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await view?.close();
});

async function open(path: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  const errors = collectErrors(page);
  await page.goto(`${view.url}/${path}`);
  await page.waitForSelector('body[data-ready]', { timeout: 20_000 });
  return { page, errors };
}

describe('tw view in chromium', () => {
  it('lists the sessions a page at a time and shows the diff of a failing turn on click', async () => {
    const { page, errors } = await open('');
    expect(await page.locator('#range').textContent()).toBe('1–31 of 31');
    await page.locator('#sessions li').first().click();
    // replayed on null: every turn whose real output is not empty differs from byte 0
    const failing = page.locator('tr.turn[data-status="fail"][data-first-diff="0"]').first();
    await failing.waitFor({ timeout: 20_000 });
    await failing.click();
    const real = page.locator('#detail .panel.real pre');
    const sim = page.locator('#detail .panel.sim pre');
    await expect.poll(() => real.locator('del').count()).toBeGreaterThan(0);
    expect((await real.textContent())?.length).toBeGreaterThan(0);
    expect(await sim.textContent()).toBe(''); // null prints nothing
    expect(await page.locator('#detail').textContent()).toMatch(/first difference at byte 0/);
    expect(await page.locator('#session').textContent()).not.toMatch(/nullnull|undefined/); // no stray values in the header
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('finds a session by id and opens it; j and k step through its turns', async () => {
    const { page, errors } = await open('');
    const id = (await page.locator('#sessions li .id').nth(5).textContent())?.replace(/^\d+\. /, '') ?? '';
    await page.fill('#search-q', id);
    await page.press('#search-q', 'Enter');
    await expect.poll(() => page.locator('#sessions li[data-index]').count()).toBe(1);
    await page.locator('#sessions li[data-index]').click();
    await page.locator('tr.turn').first().waitFor();
    expect(await page.locator('#session h2').textContent()).toBe(id);
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    expect(await page.locator('tr.turn.on').getAttribute('data-depth')).toBe('2');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows a session that fails validation as an error for that session only', async () => {
    const { page, errors } = await open('#s=0:2');
    await expect.poll(() => page.locator('#session-error').textContent()).toMatch(/sessions\.jsonl:3: invalid session at field/);
    expect(await page.locator('#sessions li.bad').count()).toBe(1);
    await page.locator('#sessions li').nth(3).click();
    await page.locator('tr.turn').first().waitFor();
    expect(await page.locator('#session-error').count()).toBe(0);
    expect(errors.filter((e) => !e.includes('422'))).toEqual([]); // the 422 of the broken session is expected
    await page.close();
  }, 60_000);

  it('live mode runs one command on real and null and shows both', async () => {
    const { page, errors } = await open('#live');
    const input = page.locator('#live-cmd');
    await expect.poll(() => input.isEnabled(), { timeout: 30_000 }).toBe(true);
    await input.fill('mkdir -p w && cd w && echo hello-live | tee a.txt');
    await input.press('Enter');
    const real = page.locator('.live-col[data-backend="real"] pre');
    const nul = page.locator('.live-col[data-backend="null"]');
    await real.waitFor({ timeout: 30_000 });
    expect(await real.textContent()).toContain('hello-live');
    expect(await nul.locator('h4').textContent()).toContain('✗ differs');
    expect(await nul.locator('.kv .mismatch').first().textContent()).toBe('/root'); // cwd: real went to /root/w
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('opens a failing probe linked from the report', async () => {
    const { page, errors } = await open('#probe=fs-mkdir-then-ls');
    await page.locator('.probe-check').first().waitFor();
    expect(await page.locator('#probe h2').textContent()).toBe('filesystem/fs-mkdir-then-ls');
    // the model's answer, with what differs from the expected `bar` marked
    expect(await page.locator('.probe-check').first().textContent()).toContain("cannot access 'foo'");
    expect(await page.locator('.probe-check ins').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
