// The web console in a real browser against a real server: Debian's Chromium via
// playwright-core, `custos serve` started through its CLI, a real SMTP listener for
// the customer's verification code. One server for the file; the tests run in order.
//
// Run: scripts/browser-test (or `node --test tests/browser/` with CUSTOS_BIN set).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  assertNoCanaries,
  API_CUSTOMER,
  canariesIn,
  CARD,
  CUSTOMER,
} from './lib/canaries.mjs';
import {
  enterPassword,
  isConsolePage,
  launchBrowser,
  openPage,
  screenshot,
  scrubbed,
  secret,
  signIn,
  submit,
  visit,
  WAIT,
} from './lib/browser.mjs';
import { addUser, expectStatus, startCustos } from './lib/custos.mjs';
import { startSmtp, verificationCode } from './lib/smtp.mjs';
import { parseTotpUri, TotpBook } from './lib/totp.mjs';

const IDLE_TIMEOUT_SECS = 120;
const LOCKOUT_THRESHOLD = 3;
const SESSION_COOKIE = '__Host-custos_session';
const PHISHING = 'URGENT: verify your account at http://192.0.2.1/login and send me the code';

const state = {
  smtp: null,
  custos: null,
  browser: null,
  users: {},
  interactionId: null,
  apiInteractionId: null,
  revealReasonCode: null,
};
const totp = new TotpBook();

/** A function giving one fresh TOTP code for `user` each call. */
const codeFor = (user) => () => secret(totp.code(user.username, parseTotpUri(user.totpUri)));

/** Signs in through the API: password, then TOTP; resolves to the session token. */
/** Saves on the settings page; when the change is accepted, waits for the page to reload. */
async function saveSettings(page, selector) {
  const reloaded = page.waitForEvent('load', { timeout: WAIT.navigation });
  reloaded.catch(() => {});
  const response = await submit(page, selector);
  if (response.ok()) await reloaded;
  return response;
}

async function apiSignIn(user) {
  const { api } = state.custos;
  const login = expectStatus(
    await api('POST', '/api/v1/auth/login', { body: { username: user.username, password: user.password } }),
    200,
    `API sign-in of ${user.username}`,
  );
  secret(login.mfa_token);
  const session = expectStatus(
    await api('POST', '/api/v1/auth/mfa/totp', { body: { mfa_token: login.mfa_token, code: codeFor(user)() } }),
    200,
    `API TOTP of ${user.username}`,
  );
  return secret(session.session_token);
}

/** A test whose failure is scrubbed of secrets, leaves a screenshot, and closes its page. */
function browserTest(name, timeoutMs, fn) {
  test(name, { timeout: timeoutMs }, (t) =>
    scrubbed(async () => {
      assert.ok(state.browser, 'the browser is running');
      const guarded = await openPage(state.browser);
      try {
        await fn(guarded, t);
        guarded.assertClean();
      } catch (error) {
        await screenshot(guarded.page, `failed-${name.replace(/\W+/gu, '-').slice(0, 60)}.png`).catch(() => {});
        if (guarded.problems.length > 0 && error instanceof Error) {
          error.message += `\n  the page also reported:\n    ${guarded.problems.join('\n    ')}`;
        }
        throw error;
      } finally {
        await guarded.close().catch(() => {});
      }
    }),
  );
}

describe('Custos web console', { timeout: 270_000 }, () => {
  before(async () => scrubbed(async () => {
    state.smtp = await startSmtp();
    state.custos = await startCustos({
      smtpPort: state.smtp.port,
      idleTimeoutSecs: IDLE_TIMEOUT_SECS,
      lockoutThreshold: LOCKOUT_THRESHOLD,
    });
    const { custos } = state;

    // People, through the CLI while the server runs. No administrator: the first one
    // comes through the setup link in the browser (any administrator retires the link).
    for (const [name, role, team] of [
      ['ada', 'agent', 'billing'],
      ['bea', 'agent', 'billing'],
      ['sue', 'supervisor', 'billing'],
      ['sol', 'security_officer'],
      ['aud', 'auditor'],
      ['sam', 'supervisor'],
      ['lou', 'agent'],
      ['ava', 'agent'],
      ['pat', 'agent'],
    ]) {
      const user = await addUser(custos, name, role, team);
      secret(user.password);
      secret(parseTotpUri(user.totpUri).key.toString('hex'));
      secret(new URL(user.totpUri).searchParams.get('secret'));
      state.users[name] = user;
    }

    // An integration's service token.
    const tokenOut = JSON.parse(
      await custos.cli(['token', 'create', '--name', 'crm', '--role', 'integration', '--json']),
    );
    assert.ok(tokenOut.token, 'custos token create prints a token');
    const token = secret(tokenOut.token);

    // The canary customer, an open chat with ada, and what the customer wrote.
    const seed = async (customer, agent) => {
      const created = expectStatus(
        await custos.api('POST', '/api/v1/customers', { token, body: customer }),
        [200, 201],
        'create customer',
      );
      const interaction = expectStatus(
        await custos.api('POST', '/api/v1/interactions', {
          token,
          body: { channel: 'chat', customer_id: created.id, agent },
        }),
        [200, 201],
        'open interaction',
      );
      for (const text of [
        'Hi, I need to update the card on my account.',
        `My card is ${CARD}, can you change it over?`,
        PHISHING,
      ]) {
        expectStatus(
          await custos.api('POST', `/api/v1/interactions/${interaction.id}/messages`, {
            token,
            body: { sender: 'customer', text },
          }),
          [200, 201, 202],
          'add message',
        );
      }
      return interaction.id;
    };
    state.interactionId = await seed(CUSTOMER, 'ada');
    state.apiInteractionId = await seed(API_CUSTOMER, 'ava');

    state.browser = await launchBrowser();
  }));

  after(async () => {
    await state.browser?.close().catch(() => {});
    await state.custos?.stop().catch(() => {});
    await state.smtp?.close().catch(() => {});
  });

  test('the harness: API seeding, redaction, and a verification code by real SMTP', { timeout: 60_000 }, () =>
    scrubbed(async () => {
      const { api } = state.custos;
      const id = state.apiInteractionId;
      const session = await apiSignIn(state.users.ava);
      const me = expectStatus(await api('GET', '/api/v1/me', { token: session }), 200, 'GET /me');
      assert.ok(me.name === 'ava' && me.role === 'agent', 'GET /me names ava, an agent');

      const read = expectStatus(await api('GET', `/api/v1/interactions/${id}`, { token: session }), 200, 'read interaction');
      assert.equal(read.verification.verified, false, 'not verified yet');
      assert.equal(read.messages.length, 3, 'three messages stored');
      const all = JSON.stringify(read);
      assert.ok(!/4\D{0,3}1\D{0,3}1\D{0,3}1(?:\D{0,3}1){12}/u.test(all), 'the card number is stored redacted');
      const phishing = read.messages.find((m) => m.text.includes('URGENT'));
      assert.ok(phishing?.risk?.flags?.length > 0, 'the phishing message carries red flags');

      const mark = state.smtp.mark();
      expectStatus(
        await api('POST', `/api/v1/interactions/${id}/verification`, { token: session, body: { method: 'email' } }),
        202,
        'send verification code',
      );
      const mail = await state.smtp.waitFor(API_CUSTOMER.email, { since: mark, timeoutMs: WAIT.mail });
      const code = secret(verificationCode(mail.text));
      assert.ok(mail.from === 'custos@example.test', 'sent from notify.smtp_from');
      const confirmed = expectStatus(
        await api('POST', `/api/v1/interactions/${id}/verification/confirm`, { token: session, body: { code } }),
        200,
        'confirm verification code',
      );
      assert.equal(confirmed.verified, true, 'the customer is verified');
      assert.equal(confirmed.method, 'email');
    }),
  );

  browserTest('first administrator: the setup link, authenticator enrolment, recovery codes once, sign-in', 90_000, async (guarded) => {
    const { page } = guarded;
    const { baseUrl } = state.custos;
    // The second use of the link is refused with a 401, as it must be.
    guarded.allowHttpError((url) => new URL(url).pathname === '/api/v1/setup');
    const link = state.custos.setupUrl();
    assert.ok(link, 'custos serve printed a setup link');
    secret(link.split('#token=')[1]);
    await visit(page, link);
    await page.locator('form#setup-form').waitFor({ state: 'visible' });
    assert.ok(!page.url().includes('token='), 'the token is cleared from the address bar');
    const root = { username: 'root-admin', password: secret(`Setup${Date.now()}-harbor-lake`) };
    await page.fill('#setup-username', root.username);
    await page.fill('#setup-password', root.password);
    await page.fill('#setup-password-again', root.password);
    await submit(page, 'button#setup-submit');
    await page.locator('#setup-done').waitFor({ state: 'visible' });
    const qrLoaded = await page.locator('#totp-qr').evaluate((img) => img.complete && img.naturalWidth > 0);
    assert.ok(qrLoaded, 'the QR code renders');
    assert.equal(await page.locator('#recovery-codes li').count(), 10, 'ten recovery codes, shown once');
    for (const code of await page.locator('#recovery-codes li').allInnerTexts()) secret(code);
    const key = secret((await page.locator('#totp-secret').innerText()).trim());
    assert.match(key, /^[A-Z2-7]{16,}$/u, 'the key to type by hand is base32');
    root.totpUri = `otpauth://totp/Custos:${root.username}?secret=${key}&issuer=Custos`;
    // The link works once. (From another document: a fragment change alone is no navigation.)
    await page.goto('about:blank');
    await visit(page, link);
    await page.fill('#setup-username', 'second-admin');
    await page.fill('#setup-password', root.password);
    await page.fill('#setup-password-again', root.password);
    await submit(page, 'button#setup-submit');
    await page.locator('#setup-error').filter({ hasText: /invalid, used or expired/iu }).waitFor({ state: 'visible' });
    // The new administrator signs in with a code from the enrolled key.
    await signIn(page, baseUrl, root, codeFor(root));
    assert.equal(new URL(page.url()).pathname, '/console/posture', 'administrators land on the posture page');
    // The administrator's pages: settings (masking, sessions, retention, keys) and policies.
    for (const [pathname, content, file] of [
      ['/console/settings', 'table#masking', 'settings.png'],
      ['/console/policies', 'form#policy-form', 'policies.png'],
    ]) {
      await visit(page, `${baseUrl}${pathname}`);
      await page.locator(content).waitFor({ state: 'visible' });
      await screenshot(page, file);
    }

    // Settings change in the browser, within the compliance limits: a lockout
    // threshold past PCI DSS 8.3.4 is refused in plain words and saves nothing;
    // a masking style is saved, shown, then undone back to the default.
    guarded.allowHttpError((url, text) => new URL(url).pathname === '/api/v1/settings' && /status of 422/u.test(text));
    await visit(page, `${baseUrl}/console/settings`);
    await page.fill('input[data-setting="auth.lockout_threshold"]', '25');
    await saveSettings(page, 'button#settings-save');
    await page.locator('#settings-error', { hasText: /8\.3\.4/u }).waitFor({ state: 'visible' });
    await visit(page, `${baseUrl}/console/settings`);
    assert.equal(await page.inputValue('input[data-setting="auth.lockout_threshold"]'), String(LOCKOUT_THRESHOLD));
    await page.selectOption('select[data-setting="masking.name.investigation"]', 'hidden');
    await saveSettings(page, 'button#settings-save');
    await page.locator('#settings-saved').waitFor({ state: 'visible' });
    assert.equal(await page.locator('[data-example="masking.name.investigation"]').innerText(), '***');
    await screenshot(page, 'settings-changed.png');
    await saveSettings(page, 'button[data-revert="masking.name.investigation"]');
    await page.locator('#settings-saved').waitFor({ state: 'visible' });
    assert.equal(await page.locator('[data-example="masking.name.investigation"]').innerText(), 'J. Q. D.');
    assert.equal(await page.locator('button[data-revert]').count(), 0, 'nothing differs from the file now');

    // The administrator invites a person; the person chooses their own password and
    // enrols their authenticator from the link, then signs in.
    await visit(page, `${baseUrl}/console/people`);
    await page.fill('#invite-username', 'nia');
    await page.selectOption('#invite-role', 'agent');
    await page.fill('#invite-team', 'billing');
    await submit(page, 'button#invite-submit');
    const shownLink = page.locator('#invitation-link');
    await shownLink.waitFor({ state: 'visible' });
    const invitation = secret((await shownLink.innerText()).match(/https:\/\/\S+\/welcome#token=\S+/u)[0]);
    const other = await page.context().browser().newContext({ ignoreHTTPSErrors: true });
    try {
      const nia = await other.newPage();
      await nia.goto(invitation);
      await nia.locator('form#setup-form').waitFor({ state: 'visible' });
      assert.equal(await nia.locator('#setup-username').count(), 0, 'the invitation names the account');
      const niaUser = { username: 'nia', password: secret(`Invited${Date.now()}-lantern-row`) };
      await nia.fill('#setup-password', niaUser.password);
      await nia.fill('#setup-password-again', niaUser.password);
      await submit(nia, 'button#setup-submit');
      await nia.locator('#setup-done').waitFor({ state: 'visible' });
      assert.equal(await nia.locator('#recovery-codes li').count(), 10, 'ten recovery codes, shown once');
      for (const code of await nia.locator('#recovery-codes li').allInnerTexts()) secret(code);
      const niaKey = secret((await nia.locator('#totp-secret').innerText()).trim());
      niaUser.totpUri = `otpauth://totp/Custos:nia?secret=${niaKey}&issuer=Custos`;
      await signIn(nia, baseUrl, niaUser, codeFor(niaUser));
      assert.equal(new URL(nia.url()).pathname, '/console/interactions', 'the invited agent lands on their interactions');
    } finally {
      await other.close();
    }

    // The administrator makes nia a supervisor of another team, from her page.
    await visit(page, `${baseUrl}/console/people/nia`);
    await page.selectOption('#new-role', 'supervisor');
    await page.fill('#new-team', 'claims');
    await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/users/nia/role') && r.status() === 200),
      page.click('button#change-role'),
    ]);
    await page.locator('#role-message', { hasText: /Role changed; 1 session\(s\) ended/u }).waitFor({ state: 'visible' });
    await visit(page, `${baseUrl}/console/people/nia`);
    assert.equal(await page.locator('#current-role').innerText(), 'supervisor');
    assert.equal(await page.locator('#current-team').innerText(), 'claims');
    await screenshot(page, 'person-role.png');

    // nia lost her phone: the administrator resets her sign-in from her page and
    // hands her the link; she chooses a new password and authenticator.
    page.once('dialog', (dialog) => dialog.accept());
    await submit(page, 'button#reset-sign-in');
    const resetLink = page.locator('#reset-link');
    await resetLink.waitFor({ state: 'visible' });
    const resetUrl = secret((await resetLink.innerText()).match(/https:\/\/\S+\/reset#token=\S+/u)[0]);
    await visit(page, `${baseUrl}/console/people/nia`);
    await page.locator('#reset-pending').waitFor({ state: 'visible' });
    const again = await page.context().browser().newContext({ ignoreHTTPSErrors: true });
    try {
      const nia = await again.newPage();
      await nia.goto(resetUrl);
      await nia.locator('h1', { hasText: 'Reset your sign-in' }).waitFor({ state: 'visible' });
      const niaUser = { username: 'nia', password: secret(`Reset${Date.now()}-harbor-kite`) };
      await nia.fill('#setup-password', niaUser.password);
      await nia.fill('#setup-password-again', niaUser.password);
      await submit(nia, 'button#setup-submit');
      await nia.locator('#setup-done').waitFor({ state: 'visible' });
      const niaKey = secret((await nia.locator('#totp-secret').innerText()).trim());
      niaUser.totpUri = `otpauth://totp/Custos:nia?secret=${niaKey}&issuer=Custos`;
      await signIn(nia, baseUrl, niaUser, codeFor(niaUser));
      assert.equal(new URL(nia.url()).pathname, '/console/interactions', 'nia is back, as a supervisor');

      // Her own account page: a new set of recovery codes, shown once.
      await visit(nia, `${baseUrl}/console/account`);
      assert.equal(await nia.locator('#recovery-left').innerText(), '10');
      nia.once('dialog', (dialog) => dialog.accept());
      await submit(nia, 'button#renew-recovery-codes');
      await nia.locator('#recovery-new').waitFor({ state: 'visible' });
      assert.equal(await nia.locator('#recovery-codes li').count(), 10);
      const renewed = (await nia.locator('#recovery-codes li').allInnerTexts()).map((code) => secret(code.trim()));

      // She signs in with one of them, as she would without her phone: a wrong code
      // sends her back to the password, a right one (capitals do not matter) lets her in.
      await Promise.all([nia.waitForURL((url) => url.pathname === '/console/login'), nia.click('button#logout')]);
      await enterPassword(nia, baseUrl, niaUser);
      await nia.click('button#use-recovery');
      await nia.fill('#recovery-code', 'zzzz-zzzz-zzzz-zzzz');
      await nia.click('button#recovery-submit');
      await nia.locator('#login-error', { hasText: /recovery code did not work/u }).waitFor({ state: 'visible' });
      await nia.locator('form#login-form').waitFor({ state: 'visible' });
      await enterPassword(nia, baseUrl, niaUser);
      await nia.click('button#use-recovery');
      await nia.locator('form#recovery-form').waitFor({ state: 'visible' });
      await screenshot(nia, 'sign-in-recovery-code.png');
      await nia.fill('#recovery-code', secret(renewed[0].toUpperCase()));
      await Promise.all([
        nia.waitForURL((url) => url.pathname === '/console/account'),
        nia.click('button#recovery-submit'),
      ]);
      await nia.locator('#recovered-notice').waitFor({ state: 'visible' });
      assert.equal(await nia.locator('#recovery-left').innerText(), '9', 'the code used is spent');
    } finally {
      await again.close();
    }

    // Integrations: a service token for the CRM, shown once, then revoked.
    await visit(page, `${baseUrl}/console/integrations`);
    await page.locator('table#connections').waitFor({ state: 'visible' });
    await page.fill('#token-name', 'crm-prod');
    await page.selectOption('#token-role', 'integration');
    await submit(page, 'button#token-create');
    const created = page.locator('#token-created-value');
    await created.waitFor({ state: 'visible' });
    const crmToken = secret((await created.innerText()).trim());
    assert.ok(crmToken.length > 20, 'the token is shown once');
    const asCrm = await state.custos.api('GET', '/api/v1/me', { token: crmToken });
    assert.equal(expectStatus(asCrm, 200, 'the new token works').name, 'crm-prod');
    await Promise.all([page.waitForEvent('load'), page.click('button#token-created-done')]);
    const crmRow = page.locator('tr[data-token="crm-prod"]');
    await crmRow.waitFor({ state: 'visible' });
    assert.ok(!(await page.content()).includes(crmToken), 'the token is gone from the page');
    await screenshot(page, 'integrations.png');
    page.once('dialog', (dialog) => dialog.accept());
    await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'DELETE' && r.status() === 204),
      page.waitForEvent('load'),
      page.click('tr[data-token="crm-prod"] button[data-revoke-token]'),
    ]);
    await crmRow.filter({ hasText: 'revoked' }).waitFor({ state: 'visible' });
    expectStatus(await state.custos.api('GET', '/api/v1/me', { token: crmToken }), 401, 'the revoked token is refused');
  });

  browserTest('agent: masked customer, verification by emailed code, a 30-second reveal', 90_000, async ({ page }) => {
    const { baseUrl } = state.custos;
    const id = state.interactionId;
    await page.clock.install();
    await signIn(page, baseUrl, state.users.ada, codeFor(state.users.ada));
    await assertNoCanaries(page, 'the landing page');

    await visit(page, `${baseUrl}/console/interactions`);
    await page.locator('table#interactions').waitFor({ state: 'visible' });
    const link = page.locator(`a.interaction-link[href$="/console/interactions/${id}"]`);
    await link.waitFor({ state: 'visible' });
    await assertNoCanaries(page, '/console/interactions');
    await screenshot(page, 'agent-interactions.png');

    await Promise.all([page.waitForURL((url) => url.pathname === `/console/interactions/${id}`), link.click()]);
    const panel = page.locator('#customer-panel');
    await panel.waitFor({ state: 'visible' });
    for (const field of ['name', 'email', 'phone', 'date_of_birth', 'ssn', 'address', 'account_number']) {
      await panel.locator(`dd[data-field="${field}"]`).waitFor({ state: 'attached' });
    }
    await assertNoCanaries(page, 'the interaction page before verification');
    const status = page.locator('#verification-status');
    await status.filter({ hasText: /not verified/iu }).waitFor({ state: 'visible' });

    // The conversation: redacted, the phishing message flagged.
    const entries = page.locator('#conversation li.entry');
    await entries.first().waitFor({ state: 'visible' });
    assert.ok((await entries.count()) >= 3, 'the conversation shows the three messages');
    assert.ok((await entries.first().locator('.speaker').count()) === 1, 'an entry names its speaker');
    const flagged = entries.filter({ hasText: 'URGENT' });
    await flagged.first().locator('.red-flags').waitFor({ state: 'visible' });
    await screenshot(page, 'agent-interaction.png');

    // Reveal is not possible before the customer is verified.
    const revealSsn = page.locator('button.reveal[data-field="ssn"]');
    assert.ok(await page.locator('button.reveal').count() > 0, 'the masked header offers a (disabled) reveal');
    assert.equal(await page.locator('button.reveal:enabled').count(), 0, 'no reveal is possible before verification');

    // Verification: the code goes to the customer's email, the customer reads it out.
    const mark = state.smtp.mark();
    await submit(page, 'button#send-code');
    await page.locator('#verification-message').filter({ hasText: /\S/u }).waitFor({ state: 'visible' });
    const mail = await state.smtp.waitFor(CUSTOMER.email, { since: mark, timeoutMs: WAIT.mail });
    const code = secret(verificationCode(mail.text));
    await page.fill('input#verification-code', code);
    await submit(page, 'button#confirm-code');
    await status.filter({ hasText: /\bVerified\b/u }).waitFor({ state: 'visible' });
    assert.ok(!/not verified/iu.test(await status.innerText()), 'the status says Verified, not Not verified');
    await assertNoCanaries(page, 'the interaction page after verification');

    // Reveal the SSN with a reason; it shows for 30 seconds of browser time.
    await revealSsn.waitFor({ state: 'visible' });
    await page.locator('button.reveal[data-field="ssn"]:enabled').waitFor({ state: 'visible' });
    await revealSsn.click();
    const dialog = page.locator('dialog#reveal-dialog');
    await dialog.waitFor({ state: 'visible' });
    const reasons = await dialog.locator('select#reveal-reason-code option').evaluateAll((options) =>
      options.filter((o) => o.value && !o.disabled).map((o) => o.value),
    );
    assert.ok(reasons.length > 0, 'the reveal dialog offers reason codes');
    state.revealReasonCode = reasons[0];
    await dialog.locator('select#reveal-reason-code').selectOption(reasons[0]);
    await dialog.locator('textarea#reveal-reason-text').fill('caller asked to confirm SSN on file');
    await submit(page, 'dialog#reveal-dialog button#reveal-confirm');
    const revealed = page.locator('dd[data-field="ssn"] .revealed-value');
    await revealed.waitFor({ state: 'visible' });
    assert.ok((await revealed.innerText()).trim() === CUSTOMER.ssn, 'the revealed value is the SSN on file');
    await assertNoCanaries(page, 'the interaction page with the SSN revealed', ['ssn']);
    assert.ok(canariesIn(await page.content()).includes('ssn'), 'the canary check sees the revealed SSN');
    await screenshot(page, 'reveal.png');

    await page.clock.fastForward(29_000);
    assert.ok(await revealed.isVisible(), 'the revealed SSN still shows after 29 s');
    await page.clock.fastForward(2_000);
    await revealed.waitFor({ state: 'detached', timeout: 5_000 });
    const masked = await page.locator('dd[data-field="ssn"]').innerText();
    assert.ok(/\*[*\s-]*9999/u.test(masked), 'the SSN is masked again (***-**-NNNN)');
    await assertNoCanaries(page, 'the interaction page 31 s after the reveal');
  });

  browserTest('security officer: the reveal in the audit trail, the other officer pages, sign-out', 90_000, async ({ page, context }) => {
    const { baseUrl } = state.custos;
    await signIn(page, baseUrl, state.users.sol, codeFor(state.users.sol));

    await visit(page, `${baseUrl}/console/audit`);
    const filter = page.locator('form#audit-filter');
    await filter.waitFor({ state: 'visible' });
    await filter.locator('[name="action"]').fill('customer.reveal');
    // Submitted as a form (GET or POST) or by a script: either way a request names the action.
    const loaded = page.waitForEvent('load', { timeout: WAIT.navigation });
    loaded.catch(() => {});
    const [filtered] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('customer.reveal')
        || (r.request().postData() ?? '').includes('customer.reveal'), { timeout: WAIT.navigation }),
      filter.locator('[name="action"]').press('Enter'),
    ]);
    if (filtered.request().isNavigationRequest()) await loaded;
    const rows = page.locator('table#audit-events tr.audit-event');
    await rows.first().waitFor({ state: 'visible' });
    await rows
      .filter({ hasNot: page.locator('td.action', { hasText: /^\s*customer\.reveal\s*$/u }) })
      .first()
      .waitFor({ state: 'detached' });
    const events = await rows.evaluateAll((trs) =>
      trs.map((tr) => ({
        action: tr.querySelector('td.action')?.textContent.trim() ?? '',
        actor: tr.querySelector('td.actor')?.textContent.trim() ?? '',
        text: tr.textContent,
      })),
    );
    assert.ok(events.every((e) => e.action === 'customer.reveal'), 'the filter keeps customer.reveal events only');
    const reveal = events.find((e) => /\bada\b/u.test(e.actor));
    assert.ok(reveal, 'the reveal by ada is listed with ada as actor');
    assert.ok(state.revealReasonCode, 'the agent test recorded the reason code it gave');
    assert.ok(reveal.text.includes(state.revealReasonCode), 'the row shows the reason code');
    await page.locator('#chain-status').filter({ hasText: /\S/u }).waitFor({ state: 'visible' });
    await assertNoCanaries(page, '/console/audit');
    await screenshot(page, 'audit.png');

    for (const [pathname, file] of [
      ['/console/posture', 'posture.png'],
      ['/console/alerts', 'alerts.png'],
      ['/console/rules', 'rules.png'],
      ['/console/people', 'people.png'],
    ]) {
      await visit(page, `${baseUrl}${pathname}`);
      await page.locator('main h1').waitFor({ state: 'visible' });
      await assertNoCanaries(page, pathname);
      await screenshot(page, file);
    }

    // People: end the agent's sessions (after a confirmation), then sign off the review.
    const endAda = page.locator('button.end-sessions[data-username="ada"]');
    await endAda.waitFor({ state: 'visible' });
    page.once('dialog', (dialog) => dialog.accept());
    await submit(page, 'button.end-sessions[data-username="ada"]');
    await page.locator('table#people').waitFor({ state: 'visible' });
    await endAda.waitFor({ state: 'detached' });
    await page.fill('#sign-off-notes', 'Every account checked against the HR roster; no changes needed.');
    await submit(page, 'button#sign-off');
    await page.locator('main').filter({ hasText: /Last signed off by sol/u }).waitFor({ state: 'visible' });

    // Signing out ends the session on the server, not just in the browser.
    const cookie = (await context.cookies(baseUrl)).find((c) => c.name === SESSION_COOKIE);
    assert.ok(cookie, `the session cookie ${SESSION_COOKIE} is set`);
    secret(cookie.value);
    const cookieHeader = `${SESSION_COOKIE}=${cookie.value}`;
    expectStatus(await state.custos.api('GET', '/api/v1/me', { cookie: cookieHeader }), 200, 'GET /me while signed in');
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/console/login'),
      page.click('button#logout'),
    ]);
    const me = await state.custos.api('GET', '/api/v1/me', { cookie: cookieHeader });
    assert.equal(me.status, 401, 'the session cookie is refused after signing out');
  });

  browserTest('supervisor: the team\'s interactions, reassignment to another agent of the team', 60_000, async ({ page }) => {
    const { baseUrl } = state.custos;
    await signIn(page, baseUrl, state.users.sue, codeFor(state.users.sue));
    assert.equal(new URL(page.url()).pathname, '/console/interactions', 'supervisors land on their team\'s interactions');
    const link = page.locator(`a.interaction-link[href="/console/interactions/${state.interactionId}"]`);
    await link.waitFor({ state: 'visible' });
    await Promise.all([page.waitForURL((url) => url.pathname.endsWith(state.interactionId)), link.click()]);
    await page.locator('#reassign').waitFor({ state: 'visible' });
    await assertNoCanaries(page, 'the supervisor\'s view of the interaction');
    await page.selectOption('#reassign-agent', 'bea');
    await screenshot(page, 'supervisor-reassign.png');
    await submit(page, 'button#reassign-submit');
    await page.locator('main').filter({ hasText: /agent bea/u }).waitFor({ state: 'visible' });
  });

  browserTest('devices: an officer issues a code, a browser enrols with it', 60_000, async ({ page, context }) => {
    const { baseUrl } = state.custos;
    await signIn(page, baseUrl, state.users.sol, codeFor(state.users.sol));
    await visit(page, `${baseUrl}/console/people/bea`);
    await submit(page, 'button#issue-device-code');
    const shown = page.locator('#device-code');
    await shown.waitFor({ state: 'visible' });
    const code = secret((await shown.innerText()).match(/Code: (\S+)/u)[1]);
    // Bea's browser: its own context, no session.
    const other = await context.browser().newContext({ ignoreHTTPSErrors: true });
    try {
      const bea = await other.newPage();
      await bea.goto(`${baseUrl}/console/enrol-device`);
      await bea.fill('#enrol-username', 'bea');
      await bea.fill('#enrol-code', code);
      await bea.fill('#enrol-name', 'bea-laptop');
      await Promise.all([
        bea.waitForResponse((r) => r.url().endsWith('/api/v1/auth/devices/enrol')),
        bea.click('button#enrol-submit'),
      ]);
      await bea.locator('#enrol-done').waitFor({ state: 'visible' });
      const cookies = await other.cookies(baseUrl);
      assert.ok(cookies.some((c) => c.name === '__Host-custos_device'), 'the browser keeps the device credential');
    } finally {
      await other.close();
    }
    await visit(page, `${baseUrl}/console/people/bea`);
    await page.locator('tr.device', { hasText: 'bea-laptop' }).waitFor({ state: 'visible' });
    await screenshot(page, 'person-devices.png');
  });

  browserTest('passkeys: enrolled on the account page, then a sign-in with one', 90_000, async ({ page, context }) => {
    // Browsers make passkeys only for a domain name: the server's loopback address
    // is `localhost` to them, and the server's relying party says so too.
    const baseUrl = state.custos.baseUrl.replace('://127.0.0.1:', '://localhost:');
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    const pat = state.users.pat;
    await signIn(page, baseUrl, pat, codeFor(pat));
    await visit(page, `${baseUrl}/console/account`);
    await page.locator('#no-passkeys').waitFor({ state: 'visible' });
    await page.fill('#passkey-name', 'pat laptop');
    await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/v1/me/passkeys/register/finish') && r.status() === 201),
      page.click('button#passkey-add'),
    ]);
    await page.locator('table#passkeys', { hasText: 'pat laptop' }).waitFor({ state: 'visible' });
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1, 'the authenticator holds the new passkey');
    await screenshot(page, 'account-passkeys.png');

    // Sign out, then in again: the password, then the passkey instead of a code.
    await Promise.all([page.waitForURL((url) => url.pathname === '/console/login'), page.click('button#logout')]);
    await page.fill('#username', pat.username);
    await page.fill('#password', pat.password);
    await page.click('button#login-submit');
    await page.locator('#passkey-choice').waitFor({ state: 'visible' });
    await Promise.all([
      page.waitForURL((url) => isConsolePage(url.href)),
      page.click('button#mfa-passkey'),
    ]);
    await page.locator('#signed-in-as', { hasText: pat.username }).waitFor({ state: 'visible' });

    // The passkey was used; removing it needs no new factor right after a sign-in.
    await visit(page, `${baseUrl}/console/account`);
    const row = page.locator('table#passkeys tr', { hasText: 'pat laptop' });
    await row.waitFor({ state: 'visible' });
    assert.doesNotMatch(await row.innerText(), /never/u, 'the passkey shows its last use');
    await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'DELETE' && r.status() === 204),
      row.locator('button[data-remove-passkey]').click(),
    ]);
    await page.locator('#no-passkeys').waitFor({ state: 'visible' });
  });

  browserTest('idle sign-out: warning, then back to the sign-in page with the session ended', 90_000, async ({ page, context }, t) => {
    const { baseUrl, api } = state.custos;
    await page.clock.install();
    await signIn(page, baseUrl, state.users.sam, codeFor(state.users.sam));
    const landed = page.url();

    const timeout = Number(
      await page.locator('meta[name="custos-idle-timeout"]').getAttribute('content', { timeout: WAIT.action }),
    );
    assert.equal(timeout, IDLE_TIMEOUT_SECS, 'the page knows the configured idle timeout');
    const cookie = (await context.cookies(baseUrl)).find((c) => c.name === SESSION_COOKIE);
    assert.ok(cookie, `the session cookie ${SESSION_COOKIE} is set`);
    secret(cookie.value);
    const cookieHeader = `${SESSION_COOKIE}=${cookie.value}`;
    expectStatus(await api('GET', '/api/v1/me', { cookie: cookieHeader }), 200, 'GET /me with the session cookie');

    // Browser time from here on moves only when the test moves it.
    const pageNow = await page.evaluate(() => Date.now());
    await page.clock.pauseAt(pageNow + 1_000);
    const warning = page.locator('#idle-warning');
    assert.ok(!(await warning.isVisible()), 'no idle warning right after sign-in');

    let seconds = 1;
    while (!(await warning.isVisible())) {
      assert.ok(seconds < timeout, `the idle warning shows before the ${timeout} s timeout`);
      await page.clock.runFor(1_000);
      seconds += 1;
    }
    assert.ok(isConsolePage(page.url()) && page.url() === landed, 'still signed in while warned');
    t.diagnostic(`idle warning shown ${seconds} s (browser time) into a ${timeout} s timeout`);

    await Promise.all([
      page.waitForURL((url) => url.pathname === '/console/login' && url.searchParams.get('reason') === 'idle'),
      page.clock.fastForward((timeout - seconds + 2) * 1_000),
    ]);
    await page.locator('#signed-out-notice').waitFor({ state: 'visible' });
    const me = await api('GET', '/api/v1/me', { cookie: cookieHeader });
    assert.equal(me.status, 401, 'the old session cookie is refused once signed out for inactivity');
  });

  browserTest('auditor: audit, posture and access review read-only; no customer pages', 60_000, async (guarded) => {
    const { page } = guarded;
    const { baseUrl } = state.custos;
    const interactionPath = `/console/interactions/${state.interactionId}`;
    guarded.allowHttpError((url) => new URL(url).pathname === interactionPath);
    await signIn(page, baseUrl, state.users.aud, codeFor(state.users.aud));
    for (const [pathname, content] of [['/console/audit', 'table#audit-events'], ['/console/posture', 'main h1']]) {
      await visit(page, `${baseUrl}${pathname}`);
      await page.locator('main h1').waitFor({ state: 'visible' });
      await page.locator(content).waitFor({ state: 'visible' });
      await assertNoCanaries(page, pathname);
    }
    // The access review is evidence an auditor reads, without the officer's buttons.
    await visit(page, `${baseUrl}/console/people`);
    await page.locator('table#people').waitFor({ state: 'visible' });
    assert.equal(await page.locator('button.disable, button.unlock').count(), 0, 'no account actions for an auditor');
    await assertNoCanaries(page, '/console/people');
    await screenshot(page, 'auditor-people.png');
    // A customer's interaction is not an auditor's to open.
    const denied = await visit(page, `${baseUrl}${interactionPath}`, [403]);
    assert.equal(denied.status(), 403);
    await page.locator('main h1').filter({ hasText: /not allowed/iu }).waitFor({ state: 'visible' });
    await assertNoCanaries(page, interactionPath);
  });

  browserTest('lockout: three wrong passwords lock the account, the right one is then refused', 60_000, async (guarded) => {
    const { page } = guarded;
    const { baseUrl } = state.custos;
    const lou = state.users.lou;
    guarded.allowHttpError((url) => new URL(url).pathname.startsWith('/console/login')
      || new URL(url).pathname.startsWith('/api/v1/auth/'));
    // Lou signs in from a workstation of her own behind the load balancer: the
    // per-address sign-in throttle counts her attempts, not the whole suite's
    // (which, on a fast machine, used it up before the lock could be shown).
    await page.setExtraHTTPHeaders({ 'X-Forwarded-For': '192.0.2.77' });
    await visit(page, `${baseUrl}/console/login`);
    const attempt = async (password, expected) => {
      await page.locator('form#login-form').waitFor({ state: 'visible' });
      await page.fill('#username', lou.username);
      await page.fill('#password', password);
      await submit(page, 'button#login-submit');
      await page.locator('#login-error').filter({ hasText: expected }).waitFor({ state: 'visible' });
      assert.ok(!(await page.locator('form#mfa-form').isVisible()), 'no second-factor step after a refused password');
    };
    for (let i = 0; i < LOCKOUT_THRESHOLD; i += 1) {
      await attempt(secret(`Wrong${i}-${lou.password.slice(0, 4)}xyz9`), /\S/u);
    }
    // The right password now: refused, and the message says the account is locked.
    await attempt(lou.password, /locked/iu);
    assert.equal(await page.locator('#login-error').getAttribute('role'), 'alert', '#login-error is an alert');
    assert.ok(!isConsolePage(page.url()), 'not signed in');
  });
});
