import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gql, startTestApp, subscribe, tokenFor, wsClient, type TestApp } from '../support/app.js';
import { startVerification } from '../support/verified-user.js';

const WATCH = `subscription Watch($id: ID!) { verificationResult(id: $id) { id status failureReason { code message } } }`;
const STATUS = `query { userAuthStatus { status isValid daysRemaining maskedName } }`;

type Event = { verificationResult: { id: string; status: string; failureReason: { code: string; message: string } | null } };

// Debian's Chromium; playwright-core never downloads one. launch() gives each run a fresh
// temporary profile (user-data-dir) and removes it on close.
const launchChromium = () =>
  chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });

/** A user starts over HTTP and, like the React page, subscribes over graphql-ws before leaving for certifyUrl. */
async function startAndWatch(app: TestApp, userId: string) {
  const token = await tokenFor(userId);
  const res = await startVerification(app, token);
  expect(res.errors).toBeUndefined();
  const verification = res.data!.startVerification as { id: string; certifyUrl: string };
  const client = wsClient(app, token);
  const watch = subscribe<Event>(client, WATCH, { id: verification.id });
  await watch.waitFor((events) => events.length === 1);
  expect(watch.events[0]!.verificationResult.status).toBe('PENDING');
  return { token, verification, client, watch, statuses: () => watch.events.map((e) => e.verificationResult.status) };
}

describe('verification in Chromium on the sandbox page', () => {
  let browser: Browser;
  let page: Page;
  let app: TestApp;
  beforeAll(async () => {
    [browser, app] = await Promise.all([launchChromium(), startTestApp()]);
  });
  beforeEach(async () => {
    page = await (await browser.newContext()).newPage();
  });
  afterEach(async () => {
    await page?.context().close();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const returnPage = () => `http://localhost:${app.port}/return`;

  it('goes start → subscribe → pass → return page → VERIFIED pushed → userAuthStatus valid', async () => {
    const flow = await startAndWatch(app, 'browser-pass');
    await page.goto(flow.verification.certifyUrl);
    await page.click('[data-testid=sandbox-pass]');
    await page.waitForURL(returnPage());
    expect(await page.textContent('h1')).toBe('认证已提交');

    await flow.watch.done;
    expect(flow.statuses()).toEqual(['PENDING', 'VERIFIED']);
    await flow.client.dispose();
    const status = await gql(app, STATUS, {}, flow.token);
    expect(status.data!.userAuthStatus).toEqual({ status: 'VERIFIED', isValid: true, daysRemaining: 364, maskedName: '张*' });
  });

  it('goes start → subscribe → fail → return page → FAILED pushed with its reason', async () => {
    const flow = await startAndWatch(app, 'browser-fail');
    await page.goto(flow.verification.certifyUrl);
    await page.click('[data-testid=sandbox-fail]');
    await page.waitForURL(returnPage());

    await flow.watch.done;
    expect(flow.statuses()).toEqual(['PENDING', 'FAILED']);
    expect(flow.watch.events[1]!.verificationResult.failureReason).toEqual({ code: 'LIVENESS_RISK', message: '活体检测未通过' });
    await flow.client.dispose();
    const status = await gql(app, STATUS, {}, flow.token);
    expect(status.data!.userAuthStatus).toMatchObject({ status: 'FAILED', isValid: false });
  });
});

describe('an abandoned verification in Chromium', () => {
  let offsetMs = 0;
  let browser: Browser;
  let app: TestApp;
  beforeAll(async () => {
    [browser, app] = await Promise.all([launchChromium(), startTestApp({ overrides: { clock: () => new Date(Date.now() + offsetMs) } })]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('goes start → subscribe → page left open → reconciler after 30 minutes → EXPIRED pushed', async () => {
    const flow = await startAndWatch(app, 'browser-abandon');
    const page = await browser.newPage();
    await page.goto(flow.verification.certifyUrl);
    expect(await page.isVisible('[data-testid=sandbox-pass]')).toBe(true);

    offsetMs += 31 * 60_000;
    await app.services.results.reconcile();
    await flow.watch.done;
    expect(flow.statuses()).toEqual(['PENDING', 'EXPIRED']);
    expect(flow.watch.events[1]!.verificationResult.failureReason!.code).toBe('ABANDONED');
    await flow.client.dispose();

    // Pressing "pass" on the stale page afterwards: the callback arrives, the record stays EXPIRED.
    await page.click('[data-testid=sandbox-pass]');
    await page.waitForURL(`http://localhost:${app.port}/return`);
    const status = await gql(app, `query($id: ID!) { verification(id: $id) { status } userAuthStatus { isValid } }`, { id: flow.verification.id }, flow.token);
    expect(status.data).toEqual({ verification: { status: 'EXPIRED' }, userAuthStatus: { isValid: false } });
  });
});
