// A real browser for the web console's tests: Debian's chromium (scripts/setup.sh installs it)
// driven by playwright-core, which downloads no browser of its own. Headless; the cluster's
// self-signed CA is accepted per context (ignoreHTTPSErrors), as a user accepts it once.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { REPO_ROOT } from './cluster.js';

export const CHROMIUM = process.env['TUGBOAT_CHROMIUM'] ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can. */
export function browserMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (apt-get install chromium, or run scripts/setup.sh as root)`;
}

export async function launchBrowser(): Promise<Browser> {
  // --no-sandbox: tests run as root in CI, where chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
}

/** Where tests leave artifacts (screenshots): $TUGBOAT_TEST_OUTPUT, else test/output/ (git-ignored). */
export function testOutputDir(sub: string): string {
  const dir = join(process.env['TUGBOAT_TEST_OUTPUT'] ?? join(REPO_ROOT, 'test', 'output'), sub);
  mkdirSync(dir, { recursive: true });
  return dir;
}
