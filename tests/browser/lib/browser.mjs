// Debian's Chromium driven by playwright-core, with a guard on every page: any
// console error, uncaught page error or CSP violation is a test failure.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { SCREENSHOT_DIR } from './custos.mjs';

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

/** Timeouts of every wait, in ms. */
export const WAIT = { action: 10_000, navigation: 15_000, mail: 20_000 };

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: ['--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
}

// --- Keeping secrets and customer values out of what the harness prints -------------

const secrets = new Set();

/** Registers a value that must never be printed (password, code, canary). */
export function secret(value) {
  if (value) secrets.add(String(value));
  return value;
}

/** `text` with every registered secret replaced. */
export function scrub(text) {
  if (typeof text !== 'string') return text;
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    out = out.split(s).join('[withheld]');
  }
  return out;
}

/** Runs `fn`; a failure is rethrown with every registered secret scrubbed from it. */
export async function scrubbed(fn) {
  try {
    return await fn();
  } catch (error) {
    // A new error: an assertion's `actual`/`expected` could hold a value; the message
    // (with anything appended to it) and the stack frames are kept, scrubbed.
    const message = scrub(String(error?.message ?? error));
    const clean = new Error(message);
    const frames = String(error?.stack ?? '').split('\n').filter((line) => /^\s+at /u.test(line));
    clean.stack = scrub(`${error?.name ?? 'Error'}: ${message}\n${frames.join('\n')}`);
    throw clean;
  }
}

// --- Pages --------------------------------------------------------------------------

/**
 * A fresh browser context and page with the guard installed. `allowHttpError(pred)`
 * lets Chromium's "Failed to load resource: the server responded with a status of N"
 * console error pass for a URL the test expects to fail that way.
 */
export async function openPage(browser) {
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1280, height: 900 },
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT.action);
  page.setDefaultNavigationTimeout(WAIT.navigation);
  const problems = [];
  const allowed = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    const url = message.location()?.url ?? '';
    if (/^Failed to load resource: the server responded with a status of \d+/u.test(text)
      && allowed.some((pred) => pred(url, text))) {
      return;
    }
    problems.push(`console error at ${url || page.url()}: ${text}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught page error at ${page.url()}: ${error.message}`));
  // CSP violations also reach the console in Chromium; the event catches report-only ones too.
  await page.exposeBinding('__custosTestCspViolation', (_source, v) => {
    problems.push(`CSP violation at ${v.documentURI}: ${v.directive} blocked ${v.blockedURI || 'inline'} (${v.sourceFile}:${v.line})`);
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      // eslint-disable-next-line no-underscore-dangle
      window.__custosTestCspViolation({
        documentURI: e.documentURI,
        directive: e.violatedDirective,
        blockedURI: e.blockedURI,
        sourceFile: e.sourceFile,
        line: e.lineNumber,
      });
    });
  });
  return {
    context,
    page,
    problems,
    allowHttpError: (pred) => allowed.push(pred),
    /** Fails with every console error, page error and CSP violation seen. */
    assertClean() {
      if (problems.length > 0) {
        throw new Error(`the page reported ${problems.length} problem(s):\n  ${problems.map(scrub).join('\n  ')}`);
      }
    },
    close: () => context.close(),
  };
}

/** Saves a full-page screenshot to screenshots/NAME. */
export async function screenshot(page, name) {
  // Every page worth a screenshot is also checked for the basics of accessibility.
  await assertAccessible(page, name);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, name), fullPage: true, timeout: WAIT.action });
}

/**
 * The basics a screen reader and a keyboard need: every visible form control has a
 * label, every button and link an accessible name, every image a text alternative,
 * the page a language, a title and one `h1`.
 */
export async function assertAccessible(page, what) {
  const problems = await page.evaluate(() => {
    const found = [];
    const visible = (el) => el.getClientRects().length > 0;
    const named = (el) => (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
      || el.textContent.trim() || el.getAttribute('title') || '').length > 0;
    for (const el of document.querySelectorAll('input, select, textarea')) {
      if (el.type === 'hidden' || !visible(el)) continue;
      if (el.labels.length === 0 && !el.getAttribute('aria-label')) found.push(`unlabelled ${el.tagName.toLowerCase()}#${el.id}`);
    }
    for (const el of document.querySelectorAll('button, a[href]')) {
      if (visible(el) && !named(el)) found.push(`unnamed ${el.tagName.toLowerCase()}`);
    }
    for (const el of document.querySelectorAll('img, svg[role="img"]')) {
      if (!(el.getAttribute('alt') || el.getAttribute('aria-label'))) found.push(`${el.tagName.toLowerCase()} without a text alternative`);
    }
    if (!document.documentElement.lang) found.push('no lang on <html>');
    if (!document.title.trim()) found.push('no <title>');
    if (document.querySelectorAll('h1').length !== 1) found.push(`${document.querySelectorAll('h1').length} h1 elements`);
    return found;
  });
  if (problems.length > 0) throw new Error(`${what}: accessibility: ${problems.join('; ')}`);
}

/** Goes to `url` and throws unless the answer is one of `statuses` (default 200). */
export async function visit(page, url, statuses = [200]) {
  const response = await page.goto(url, { waitUntil: 'load' });
  if (!response) throw new Error(`no response for ${new URL(url).pathname}`);
  if (!statuses.includes(response.status())) {
    throw new Error(`GET ${new URL(url).pathname} answered ${response.status()}, expected ${statuses.join(' or ')}`);
  }
  return response;
}

/** Whether `pathname` is a signed-in console page (not the sign-in page). */
export function isConsolePage(url) {
  const { pathname } = new URL(url);
  return (pathname === '/console' || pathname.startsWith('/console/')) && !pathname.startsWith('/console/login');
}

/**
 * Signs `user` in through the console's form: password, then a fresh TOTP code.
 * Resolves once a signed-in console page shows the username in #signed-in-as.
 */
export async function signIn(page, baseUrl, user, totpCode) {
  await enterPassword(page, baseUrl, user);
  await page.fill('#totp-code', totpCode());
  await Promise.all([
    page.waitForURL((url) => isConsolePage(url.href)),
    page.click('button#mfa-submit'),
  ]);
  await page.locator('#signed-in-as', { hasText: user.username }).waitFor({ state: 'visible' });
}

/** The sign-in page's first step: username and password, up to the second-factor form. */
export async function enterPassword(page, baseUrl, user) {
  await visit(page, `${baseUrl}/console/login`);
  await page.locator('form#login-form').waitFor({ state: 'visible' });
  await page.fill('#username', user.username);
  await page.fill('#password', user.password);
  await page.click('button#login-submit');
  const mfa = page.locator('form#mfa-form');
  const error = page.locator('#login-error');
  await mfa.or(error.filter({ hasText: /\S/u })).first().waitFor({ state: 'visible' });
  if (!(await mfa.isVisible())) {
    throw new Error(`sign-in of ${user.username} refused at the password step: ${scrub(await error.innerText())}`);
  }
}

/** The methods of requests that change something. */
const CHANGES = ['POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Clicks `selector` and waits until the POST (or PUT, PATCH, DELETE) it causes is
 * answered; when that is a form submission (a navigation), also until the next
 * document has loaded. Works the same for a server-rendered form and for a script
 * using fetch.
 */
export async function submit(page, selector) {
  const loaded = page.waitForEvent('load', { timeout: WAIT.navigation });
  loaded.catch(() => {});
  const [response] = await Promise.all([
    page.waitForResponse((r) => CHANGES.includes(r.request().method()), { timeout: WAIT.navigation }),
    page.click(selector),
  ]);
  if (response.request().isNavigationRequest()) await loaded;
  return response;
}
