import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, PRODUCTION_ENV, startTestApp, type TestApp } from '../support/app.js';

const signIn = (app: TestApp, userId: unknown) =>
  fetch(`${app.url}/demo/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId }) });

describe('the embedded pages outside production', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('signs the demo in as the user it names, with a token the API accepts', async () => {
    const res = await signIn(app, 'demo-user-1');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { token } = (await res.json()) as { token: string };
    const status = await gql(app, '{ userAuthStatus { userId status } }', {}, token);
    expect(status.data).toEqual({ userAuthStatus: { userId: 'demo-user-1', status: 'UNVERIFIED' } });
  });

  it('refuses a user id that is not a plain identifier', async () => {
    for (const userId of ['', 'a b', '../x', 'x'.repeat(65), 42]) expect((await signIn(app, userId)).status).toBe(400);
  });

  it('sends a browser asking for /graphql to the offline GraphiQL, and API clients on to GraphQL', async () => {
    const browser = await fetch(`${app.url}/graphql`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(browser.status).toBe(302);
    expect(browser.headers.get('location')).toBe('/graphiql');
    const api = await fetch(`${app.url}/graphql?query=%7B__typename%7D`, { headers: { accept: 'application/json', 'apollo-require-preflight': 'true' } });
    expect(api.status).not.toBe(302);
  });
});

describe('the embedded pages with NODE_ENV=production', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: PRODUCTION_ENV });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('has no development sign-in at all', async () => {
    const res = await signIn(app, 'demo-user-1');
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('token');
  });

  it.each(['/demo', '/demo?user=x', '/graphiql', '/assets/index.js'])('serves no %s', async (path) => {
    expect((await fetch(`${app.url}${path}`)).status).toBe(404);
  });

  it('shows no explorer at /graphql, neither ours nor one from a CDN', async () => {
    const res = await fetch(`${app.url}/graphql`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(res.status).not.toBe(302);
    expect(await res.text()).not.toMatch(/<script|cdn|embeddable/i);
  });
});
