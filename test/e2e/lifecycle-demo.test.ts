import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { identityRepository } from '../../src/repositories/identity.repository.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { verifiedUser } from '../support/verified-user.js';
import { buildPagesOnce } from '../support/web-pages.js';

/** Screenshots of every screen, kept for people to look at (gitignored). */
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/lifecycle/', import.meta.url));
const PHONE = { width: 390, height: 844 };
const DAY_MS = 86_400_000;

let browser: Browser;
let app: TestApp;
let context: BrowserContext;
/** The service's clock runs this far ahead, so an identity can age without waiting. */
let aheadMs = 0;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [browser, app] = await Promise.all([
    chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    }),
    // Valid 20 days, renewable from 15 days before expiry: renewable from day 5.
    startTestApp({ env: { IDENTITY_VALIDITY_DAYS: '20', IDENTITY_RENEWAL_DAYS: '15' }, overrides: { clock: () => new Date(Date.now() + aheadMs) } }),
    buildPagesOnce(),
  ]);
}, 240_000);
afterEach(async () => {
  aheadMs = 0;
  await context?.close();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

const shot = (page: Page, name: string) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
const status = (page: Page) => page.getByTestId('demo-status');

async function openDemo(query: string) {
  context = await browser.newContext({ viewport: PHONE, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  await page.goto(`http://localhost:${app.port}/demo?${query}`);
  return page;
}

/** Both consents, then the face check starts and the page shows it PENDING. */
async function consentAndStart(page: Page, purpose: 'RENEWAL' | 'STEP_UP') {
  await expect.poll(() => page.getByTestId('demo-face-check').getAttribute('data-purpose')).toBe(purpose);
  expect(await page.getByTestId('demo-face-check-start').isDisabled()).toBe(true);
  await page.getByTestId('demo-consent').check();
  await page.getByTestId('demo-biometric-consent').check();
  await shot(page, `${purpose.toLowerCase()}-2-consent`);
  await page.getByTestId('demo-face-check-start').click();
  await expect.poll(() => status(page).getAttribute('data-status')).toBe('PENDING');
  expect(await status(page).getAttribute('data-purpose')).toBe(purpose);
}

async function passOnCertifyPage(page: Page) {
  const [certify] = await Promise.all([page.waitForEvent('popup'), page.getByTestId('demo-open-certify').click()]);
  await certify.getByTestId('sandbox-pass').click();
  await certify.waitForURL(/\/demo\?user=/);
}

describe('renewal and step-up in the demo, in Chromium', () => {
  it('renews with one face check: 续期 while renewable, no fields to fill, a new lifetime after the certify page', async () => {
    const user = await verifiedUser(app, 'demo-renewal');
    const before = (await identityRepository.byUser(app.db, user.userId))!;
    aheadMs = 6 * DAY_MS;
    const page = await openDemo(`user=${user.userId}`);
    await expect.poll(() => page.getByTestId('demo-renew').isVisible()).toBe(true);
    expect(await page.getByTestId('demo-renewal').textContent()).toContain('即将到期');
    await shot(page, 'renewal-1-offer');

    await page.getByTestId('demo-renew').click();
    expect(await page.getByTestId('demo-name').count()).toBe(0);
    await consentAndStart(page, 'RENEWAL');
    expect(await status(page).textContent()).toContain('姓名张*身份证号');
    await shot(page, 'renewal-3-pending');

    await passOnCertifyPage(page);
    await expect.poll(() => status(page).getAttribute('data-status')).toBe('VERIFIED');
    expect(await status(page).textContent()).toContain('续期成功');
    await expect.poll(() => page.getByTestId('demo-renew').count()).toBe(0);
    await shot(page, 'renewal-4-renewed');

    const after = (await identityRepository.byUser(app.db, user.userId))!;
    expect(after.expiresAt.getTime() - before.expiresAt.getTime()).toBeGreaterThanOrEqual(6 * DAY_MS);
  });

  it('asks for 重新刷脸 when the letter gate answers STEP_UP_REQUIRED, and opens the letter button after it, expiry unchanged', async () => {
    const user = await verifiedUser(app, 'demo-step-up');
    const before = (await identityRepository.byUser(app.db, user.userId))!;
    aheadMs = 3 * DAY_MS;
    const page = await openDemo(`user=${user.userId}&faceCheckDays=2`);
    await expect.poll(() => page.getByTestId('demo-step-up').isVisible()).toBe(true);
    expect(await page.getByTestId('demo-send-letter').isDisabled()).toBe(true);
    expect(await page.getByTestId('demo-renew').count()).toBe(0);
    await shot(page, 'step_up-1-required');

    await page.getByTestId('demo-step-up').click();
    await consentAndStart(page, 'STEP_UP');
    await shot(page, 'step_up-3-pending');

    await passOnCertifyPage(page);
    await expect.poll(() => status(page).getAttribute('data-status')).toBe('VERIFIED');
    await expect.poll(() => page.getByTestId('demo-send-letter').isEnabled()).toBe(true);
    expect(await status(page).textContent()).toContain('刷脸确认成功');
    expect(await page.getByTestId('demo-step-up').count()).toBe(0);
    await shot(page, 'step_up-4-passed');

    const after = (await identityRepository.byUser(app.db, user.userId))!;
    expect(after).toMatchObject({ expiresAt: before.expiresAt, verificationId: before.verificationId });
    expect(after.faceCheckedAt!.getTime() - before.faceCheckedAt!.getTime()).toBeGreaterThanOrEqual(3 * DAY_MS);
  });
});
