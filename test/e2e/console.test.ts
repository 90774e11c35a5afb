import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONSENT_VERSION, gql, START, startTestApp, subscribe, tokenFor, wsClient, type TestApp } from '../support/app.js';
import { validIdNumber } from '../support/id-numbers.js';
import { FACE_MISMATCH_NUMBER, REQUEST_REVIEW, unfindableUser } from '../support/operator.js';
import { STATUS, verifiedUser } from '../support/verified-user.js';
import { buildPagesOnce } from '../support/web-pages.js';

/** Screenshots of every screen, kept for people to look at (gitignored). */
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/admin/', import.meta.url));
const LAPTOP = { width: 1366, height: 768 };
const WATCH = `subscription($id: ID!) { verificationResult(id: $id) { status mode } }`;

let browser: Browser;
let app: TestApp;
let context: BrowserContext;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [browser, app] = await Promise.all([
    chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    }),
    startTestApp({ env: { START_LIMIT_PER_IP: '100000', START_LIMIT_PER_ID_NUMBER: '1000' } }),
    buildPagesOnce(),
  ]);
}, 300_000);
afterEach(async () => {
  await context?.close();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

/** After Ant Design's fade-ins and ECharts' entry animations have run, so the picture shows the screen at rest. */
async function shot(page: Page, name: string) {
  await page.evaluate('Promise.all(document.getAnimations().map((animation) => animation.finished.catch(() => undefined)))');
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

/** Opens /admin and signs in with the embedded mode's development sign-in. */
async function signIn(operatorId = 'op-alice') {
  context = await browser.newContext({ viewport: LAPTOP, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  await page.goto(`http://localhost:${app.port}/admin`);
  await page.getByTestId('admin-operator-id').fill(operatorId);
  await page.getByTestId('admin-sign-in').click();
  await expect.poll(() => page.getByTestId('admin-operator').textContent()).toBe(operatorId);
  return page;
}

async function openUser(page: Page, userId: string) {
  await page.getByTestId('nav-users').click();
  await page.getByTestId('admin-user-id').fill(userId);
  await page.getByTestId('admin-user-search').click();
}

async function giveReason(page: Page, reason: string) {
  await page.getByTestId('reason-input').fill(reason);
  await page.getByTestId('reason-confirm').click();
  await expect.poll(() => page.getByTestId('reason-input').isVisible()).toBe(false);
}

// Each step loads the console afresh on two shared cores: more than the default 30 s.
describe('the operator console at /admin', { timeout: 120_000 }, () => {
  it('signs in an operator, and out again', async () => {
    context = await browser.newContext({ viewport: LAPTOP, locale: 'zh-CN' });
    const page = await context.newPage();
    await page.goto(`http://localhost:${app.port}/admin`);
    await expect.poll(() => page.getByTestId('admin-sign-in').isVisible()).toBe(true);
    await shot(page, '01-sign-in');
    await page.getByTestId('admin-operator-id').fill('op-alice');
    await page.getByTestId('admin-sign-in').click();
    await expect.poll(() => page.getByTestId('admin-operator').textContent()).toBe('op-alice');
    await page.getByTestId('admin-sign-out').click();
    await expect.poll(() => page.getByTestId('admin-sign-in').isVisible()).toBe(true);
  });

  it('finds a user: status, masked identity, attempts with their reasons, and the timeline', async () => {
    const token = await tokenFor('console-user');
    const failed = await gql(app, START, { input: { realName: '王五', idCardNumber: FACE_MISMATCH_NUMBER, consentVersion: CONSENT_VERSION, biometricConsent: true } }, token);
    await app.sandbox!.complete(failed.data!.startVerification.certifyId, 'pass');
    const user = await verifiedUser(app, 'console-user', { name: '赵六' });

    const page = await signIn();
    await openUser(page, 'console-user');
    await expect.poll(() => page.getByTestId('admin-user-status').getAttribute('data-status')).toBe('VERIFIED');
    const text = await page.locator('main').textContent();
    expect(text).toContain('赵*');
    expect(text).toContain(`${user.idCardNumber.slice(0, 6)}********${user.idCardNumber.slice(-4)}`);
    expect(text).toContain('人脸比对未通过');
    expect(text).not.toContain(user.idCardNumber);
    await expect.poll(() => page.getByTestId('admin-timeline').textContent()).toContain('运营查看用户');
    await shot(page, '02-user');

    await page.getByTestId('admin-reveal').click();
    await giveReason(page, '用户来电核对身份');
    await expect.poll(() => page.getByTestId('admin-revealed').textContent()).toContain(user.idCardNumber);
    await expect.poll(() => page.getByTestId('admin-timeline').textContent()).toContain('运营查看完整身份');
  });

  it('approves a review case: the user sees VERIFIED live, and so does the console', async () => {
    const applicant = await unfindableUser(app, 'console-review');
    const requested = await gql(app, REQUEST_REVIEW, { id: applicant.verificationId, note: '户口迁移后查不到' }, applicant.token);
    const manual = requested.data!.requestManualReview.verification.id;
    const client = wsClient(app, applicant.token);
    const watch = subscribe(client, WATCH, { id: manual });
    await watch.waitFor((e) => e.length === 1);

    const page = await signIn();
    await page.getByTestId('nav-reviews').click();
    const row = page.getByTestId('review-row-console-review');
    await expect.poll(() => row.textContent()).toContain('户口迁移后查不到');
    await shot(page, '03-review-queue');
    await row.getByTestId('review-approve').click();
    await page.getByTestId('reason-input').fill('已核对户籍迁移证明');
    await shot(page, '04-review-approve-dialog');
    await page.getByTestId('reason-confirm').click();

    await watch.done;
    expect(watch.events.map((e) => e.verificationResult)).toEqual([
      { status: 'PROCESSING', mode: 'MANUAL' },
      { status: 'VERIFIED', mode: 'MANUAL' },
    ]);
    await client.dispose();
    expect((await gql(app, STATUS, {}, applicant.token)).data!.userAuthStatus.status).toBe('VERIFIED');
    await expect.poll(() => row.count()).toBe(0);

    await openUser(page, 'console-review');
    await expect.poll(() => page.getByTestId('admin-user-status').getAttribute('data-status')).toBe('VERIFIED');
    await expect.poll(() => page.getByTestId('admin-timeline').textContent()).toContain('已核对户籍迁移证明');
    await shot(page, '05-user-after-approval');
  });

  it('denies a number: a start with it is refused', async () => {
    const number = validIdNumber();
    const page = await signIn();
    await page.getByTestId('nav-denylist').click();
    await page.getByTestId('deny-number-input').fill(number);
    await page.getByTestId('deny-number-reason').fill('公安机关通报冒用');
    await page.getByTestId('deny-number-submit').click();
    await expect.poll(() => page.getByTestId('deny-notice').textContent()).toContain('已加入禁止名单');
    await expect.poll(() => page.getByTestId('denylist-table').textContent()).toContain('公安机关通报冒用');
    expect(await page.locator('main').textContent()).not.toContain(number);
    await shot(page, '06-denylist');

    const refused = await gql(app, START, { input: { realName: '张三', idCardNumber: number, consentVersion: CONSENT_VERSION, biometricConsent: true } }, await tokenFor('console-denied'));
    expect(refused.errors![0]!.extensions!.code).toBe('IDENTITY_DENIED');
  });

  it('shows the dashboard with data', async () => {
    await verifiedUser(app, 'console-stats');
    const page = await signIn();
    await page.getByTestId('nav-dashboard').click();
    await expect.poll(async () => Number((await page.getByTestId('dashboard-starts').locator('.ant-statistic-content-value').textContent())?.replace(/,/g, ''))).toBeGreaterThan(0);
    for (const chart of ['volume', 'durations', 'failures', 'queue']) {
      await expect.poll(() => page.getByTestId(`dashboard-chart-${chart}`).locator('canvas').count()).toBe(1);
    }
    await shot(page, '07-dashboard');
  });
});
