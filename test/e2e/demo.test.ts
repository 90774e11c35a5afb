import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page, type WebSocketRoute } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, tokenFor, type TestApp } from '../support/app.js';
import { SANDBOX_PERMIT_NUMBERS } from '../../src/providers/sandbox/magic-numbers.js';
import { validIdNumber } from '../support/id-numbers.js';
import { startVerification } from '../support/verified-user.js';
import { buildPagesOnce } from '../support/web-pages.js';

/** Screenshots of every screen, kept for people to look at (gitignored). */
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/demo/', import.meta.url));
const PHONE = { width: 390, height: 844 };

const launchChromium = () =>
  chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });


/** GraphQL operations a page sent over HTTP, by name, in order. */
function recordOperations(page: Page) {
  const operations: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/graphql') {
      operations.push(/^\s*(?:query|mutation)\s+(\w+)/.exec(JSON.parse(request.postData() ?? '{}').query ?? '')?.[1] ?? '?');
    }
  });
  return operations;
}

/** Hosts a page reached: the demo must work offline, so only the service and the emulator. */
function recordHosts(context: BrowserContext) {
  const hosts = new Set<string>();
  context.on('request', (request) => hosts.add(new URL(request.url()).hostname));
  return hosts;
}

let browser: Browser;
let app: TestApp;
let context: BrowserContext;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  [browser, app] = await Promise.all([launchChromium(), startTestApp({ env: { LOCKOUT_FAILURES: '2' } }), buildPagesOnce()]);
}, 240_000);
afterEach(async () => {
  await context?.close();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

const shot = (page: Page, name: string) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
const status = (page: Page) => page.getByTestId('demo-status');

async function openDemo(userId: string, viewport = PHONE) {
  context = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  await page.goto(`http://localhost:${app.port}/demo?user=${userId}`);
  return page;
}

async function fillAndStart(page: Page, idCardNumber = validIdNumber()) {
  await page.getByTestId('demo-name').fill('张三');
  await page.getByTestId('demo-id-number').fill(idCardNumber);
  await page.getByTestId('demo-consent').check();
  await page.getByTestId('demo-biometric-consent').check();
  await page.getByTestId('demo-start').click();
  await expect.poll(() => status(page).getAttribute('data-status')).toBe('PENDING');
}

async function pressOnCertifyPage(page: Page, button: 'sandbox-pass' | 'sandbox-fail') {
  const [certify] = await Promise.all([page.waitForEvent('popup'), page.getByTestId('demo-open-certify').click()]);
  await certify.getByTestId(button).click();
  await certify.waitForURL(/\/demo\?user=/);
  return certify;
}

describe('the demo at /demo in Chromium', () => {
  it('passes: inline checks, both consents, certify page, the status changes live, the letter button opens', async () => {
    const page = await openDemo('demo-pass');
    const hosts = recordHosts(context);
    await expect.poll(() => page.getByTestId('demo-start').isVisible()).toBe(true);
    expect(await page.getByTestId('demo-send-letter').isDisabled()).toBe(true);
    await shot(page, '01-form-empty');

    await page.getByTestId('demo-name').fill('张三');
    await page.getByTestId('demo-id-number').fill('110101199003070000'); // wrong check digit
    expect(await page.getByTestId('demo-id-number-error').textContent()).toContain('身份证号码有误');
    await page.getByTestId('demo-consent').check();
    await page.getByTestId('demo-biometric-consent').check();
    expect(await page.getByTestId('demo-start').isDisabled()).toBe(true);
    await shot(page, '02-form-invalid-number');

    await page.getByTestId('demo-id-number').fill(validIdNumber());
    expect(await page.getByTestId('demo-id-number-error').count()).toBe(0);
    const operations = recordOperations(page);
    await page.getByTestId('demo-start').click();
    await expect.poll(() => status(page).getAttribute('data-status')).toBe('PENDING');
    await shot(page, '03-pending');

    const certify = await pressOnCertifyPage(page, 'sandbox-pass');
    await expect.poll(() => status(page).getAttribute('data-status')).toBe('VERIFIED');
    await expect.poll(() => page.getByTestId('demo-send-letter').isEnabled()).toBe(true);
    // While it waited, the page asked nothing over HTTP: the subscription carried the result.
    expect(operations).toEqual(['StartVerification', 'VerifyIdentity']);
    await shot(page, '04-verified');
    // Back via returnUrl, the certify tab shows the same result.
    await expect.poll(() => status(certify).getAttribute('data-status')).toBe('VERIFIED');
    await shot(certify, '05-returned');
    expect([...hosts].sort()).toEqual(['127.0.0.1', 'localhost']);
  });

  it('verifies a Taiwan residence permit in the elderly-friendly mode: document choice, labelled switch, the certify page shows both', async () => {
    const page = await openDemo('demo-permit-elderly');
    await expect.poll(() => page.getByTestId('demo-start').isVisible()).toBe(true);
    expect(await page.getByRole('radio', { name: '台湾居民居住证' }).count()).toBe(1);
    expect(await page.getByRole('radio', { name: '中华人民共和国居民身份证' }).isChecked()).toBe(true);
    expect(await page.getByRole('switch', { name: '适老化模式' }).isChecked()).toBe(false);

    await page.getByTestId('demo-name').fill('陈大文');
    await page.getByTestId('demo-id-number').fill(SANDBOX_PERMIT_NUMBERS.TAIWAN);
    // Under the default ID card, a permit number is wrong: the page says so before asking the service.
    expect(await page.getByTestId('demo-id-number-error').textContent()).toContain('身份证号码有误');
    await page.getByRole('radio', { name: '台湾居民居住证' }).check();
    expect(await page.getByTestId('demo-id-number-error').count()).toBe(0);
    expect(await page.getByTestId('demo-document-hint').textContent()).toContain('人工审核');
    await page.getByRole('switch', { name: '适老化模式' }).check();
    await page.getByTestId('demo-consent').check();
    await page.getByTestId('demo-biometric-consent').check();
    await shot(page, '02b-form-permit-elderly');

    await page.getByTestId('demo-start').click();
    await expect.poll(() => status(page).getAttribute('data-status')).toBe('PENDING');
    const [certify] = await Promise.all([page.waitForEvent('popup'), page.getByTestId('demo-open-certify').click()]);
    expect(await certify.getByTestId('sandbox-document').textContent()).toBe('台湾居民居住证');
    expect(await certify.getByTestId('sandbox-elderly').textContent()).toContain('已开启');
    await shot(certify, '03b-certify-permit-elderly');
    await certify.getByTestId('sandbox-pass').click();
    await expect.poll(() => status(page).getAttribute('data-status')).toBe('VERIFIED');
  });

  it('fails: the reason in plain words, a way to try again, the letter button stays closed', async () => {
    const page = await openDemo('demo-fail');
    await fillAndStart(page);
    await pressOnCertifyPage(page, 'sandbox-fail');
    await expect.poll(() => status(page).getAttribute('data-status')).toBe('FAILED');
    expect(await status(page).textContent()).toContain('活体检测未通过');
    expect(await page.getByTestId('demo-send-letter').isDisabled()).toBe(true);
    await shot(page, '06-failed');

    await page.getByTestId('demo-retry').click();
    expect(await page.getByTestId('demo-start').isVisible()).toBe(true);
  });

  it('recovers the open verification after a reload and still hears its result', async () => {
    const page = await openDemo('demo-reload');
    await fillAndStart(page);
    const certifyUrl = (await page.getByTestId('demo-open-certify').getAttribute('href'))!;
    await page.reload();
    await expect.poll(() => status(page).getAttribute('data-status')).toBe('PENDING');
    await shot(page, '07-reloaded-pending');

    await app.sandbox!.complete(certifyUrl.split('/').pop()!, 'pass');
    await expect.poll(() => status(page).getAttribute('data-status')).toBe('VERIFIED');
  });

  it('still gets the result when its socket dies between the callback and the event', async () => {
    context = await browser.newContext({ viewport: PHONE, locale: 'zh-CN' });
    const page = await context.newPage();
    const sockets: WebSocketRoute[] = [];
    let offline = false;
    await page.routeWebSocket(/\/graphql$/, (socket) => {
      sockets.push(socket);
      if (offline) void socket.close({ code: 1006, reason: 'network gone' });
      else socket.connectToServer();
    });
    await page.goto(`http://localhost:${app.port}/demo?user=demo-socket`);
    await fillAndStart(page);
    const certifyUrl = (await page.getByTestId('demo-open-certify').getAttribute('href'))!;
    await expect.poll(() => sockets.length).toBe(1);

    offline = true;
    await sockets[0]!.close({ code: 1006, reason: 'network gone' });
    await expect.poll(() => page.getByTestId('demo-connection').getAttribute('data-state')).toBe('reconnecting');
    await app.sandbox!.complete(certifyUrl.split('/').pop()!, 'pass'); // callback handled, event published to nobody
    await shot(page, '08-connection-lost');
    offline = false;

    await expect.poll(() => status(page).getAttribute('data-status'), { timeout: 20_000 }).toBe('VERIFIED');
    expect(await page.getByTestId('demo-connection').count()).toBe(0);
  });

  it('opens the letter button only for a user whose identity is valid', async () => {
    const unverified = await openDemo('demo-gate-new');
    await expect.poll(() => unverified.getByTestId('demo-start').isVisible()).toBe(true);
    expect(await unverified.getByTestId('demo-send-letter').isDisabled()).toBe(true);
    await context.close();

    const verified = await openDemo('demo-pass'); // verified in the first test
    await expect.poll(() => status(verified).getAttribute('data-status')).toBe('VERIFIED');
    await expect.poll(() => verified.getByTestId('demo-send-letter').isEnabled()).toBe(true);
    await verified.getByTestId('demo-send-letter').click();
    expect(await verified.getByText('信件已寄出').count()).toBe(1);
  });

  it('shows a locked account with the time it unlocks', async () => {
    const token = await tokenFor('demo-locked');
    for (let i = 0; i < 2; i++) {
      const started = await startVerification(app, token, { biometricConsent: true });
      await app.sandbox!.complete(started.data!.startVerification.certifyId, 'fail');
    }
    const page = await openDemo('demo-locked');
    const locked = page.getByTestId('demo-locked');
    await expect.poll(() => locked.isVisible()).toBe(true);
    expect(await locked.textContent()).toMatch(/请于\d+月\d+日.*\d{2}:\d{2}后再试/);
    await shot(page, '09-locked');
  });

  it('takes a travel permit to a manual review: its own form and checks, waiting live, opened by the decision', async () => {
    const page = await openDemo('demo-document-review');
    await expect.poll(() => page.getByTestId('demo-start').isVisible()).toBe(true);
    await page.getByTestId('demo-other-document').click();
    await page.getByRole('radio', { name: '台湾居民来往大陆通行证' }).check();
    await page.getByTestId('demo-review-name').fill('林志明');
    await page.getByTestId('demo-review-number').fill('H12345678'); // a Hong Kong permit's form, not Taiwan's
    await page.getByTestId('demo-review-number').blur();
    expect(await page.getByTestId('demo-review-number-error').textContent()).toContain('8位数字');
    await page.getByTestId('demo-review-number').fill('87654321');
    expect(await page.getByTestId('demo-review-number-error').count()).toBe(0);
    await page.getByTestId('demo-review-note').fill('台胞证原件可提供');
    await page.getByTestId('demo-review-consent').check();
    expect(await page.getByTestId('demo-review-submit').isDisabled()).toBe(true); // the review consent is separate
    await page.getByTestId('demo-review-operator-consent').check();
    await shot(page, '12-document-review-form');

    const operations = recordOperations(page);
    await page.getByTestId('demo-review-submit').click();
    await expect.poll(() => status(page).getAttribute('data-status')).toBe('PROCESSING');
    expect(await status(page).textContent()).toContain('等待人工审核');
    expect(await status(page).textContent()).not.toContain('87654321');
    await shot(page, '13-document-review-waiting');

    const [opened] = await app.services.reviews.casesOf('demo-document-review');
    await app.services.reviews.decide({ kind: 'operator', operatorId: 'op-demo' }, opened!.id, 'APPROVE', '核对台胞证原件无误');
    await expect.poll(() => status(page).getAttribute('data-status')).toBe('VERIFIED');
    await expect.poll(() => page.getByTestId('demo-send-letter').isEnabled()).toBe(true);
    expect(operations).toEqual(['RequestDocumentReview', 'VerifyIdentity']);
    await shot(page, '14-document-review-approved');
  });

  it('fits a narrow phone: no sideways scrolling, labelled fields, large tap targets', async () => {
    const page = await openDemo('demo-narrow', { width: 320, height: 640 });
    await expect.poll(() => page.getByTestId('demo-start').isVisible()).toBe(true);
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(await page.getByLabel('真实姓名').count()).toBe(1);
    expect(await page.getByLabel('身份证号码').count()).toBe(1);
    for (const id of ['demo-name', 'demo-id-number', 'demo-start', 'demo-send-letter']) {
      expect((await page.getByTestId(id).boundingBox())!.height).toBeGreaterThanOrEqual(48);
    }
    await shot(page, '10-narrow-phone');
  });
});

describe('the offline GraphiQL at /graphiql', () => {
  it('runs a query with the docs from the schema, and loads nothing from outside', async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const hosts = recordHosts(context);
    const page = await context.newPage();
    await page.goto(`http://localhost:${app.port}/graphql`, { waitUntil: 'domcontentloaded' }); // a browser asking for /graphql lands here
    await page.waitForURL(/\/graphiql$/);
    // On a loaded machine the editor may not hold its query yet, and a click then runs nothing: click until a result shows.
    await expect
      .poll(async () => {
        await page.locator('.graphiql-execute-button').click();
        return page.locator('.result-window').textContent();
      })
      .toContain('"version"');
    await page.getByRole('button', { name: /documentation explorer/i }).click();
    await expect.poll(() => page.getByText('Query', { exact: true }).count()).toBeGreaterThan(0);
    await shot(page, '11-graphiql');
    expect([...hosts]).toEqual(['localhost']);
  });
});
