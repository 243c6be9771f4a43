/** Debian's chromium driven by playwright-core (never a downloaded browser): found on PATH, or
 *  TW_CHROMIUM=/path. The set-up script installs it (scripts/setup.sh). */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

export function chromiumPath(): string | undefined {
  const candidates = [process.env.TW_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((x): x is string => Boolean(x));
  return candidates.find((p) => existsSync(p));
}

export async function launch(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error("no chromium: run scripts/setup.sh (it installs Debian's chromium), or set TW_CHROMIUM=/path/to/chromium");
  return chromium.launch({
    executablePath,
    headless: true,
    timeout: 30_000,
    // running as root needs --no-sandbox; the rest keep a 2-core machine quiet
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-extensions', '--no-first-run', '--mute-audio'],
  });
}

/** Console errors and page errors seen on a page, collected from the start. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e: Error) => errors.push(`pageerror: ${e.message}`));
  return errors;
}
