import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, startTestApp, tokenFor, type GraphQLResponse, type TestApp } from '../support/app.js';

/** exportMyData and deleteMyData each spend a per-user budget (PERSONAL_DATA_LIMIT_PER_USER per window). */

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ env: { PERSONAL_DATA_LIMIT_PER_USER: '2' } });
});
afterAll(() => app?.stop());

const EXPORT = `query { exportMyData { userId } }`;
const DELETE = `mutation { deleteMyData { userId } }`;
const codeOf = (res: GraphQLResponse) => res.errors?.[0]?.extensions?.code ?? 'data';

describe.each([
  ['exportMyData', EXPORT],
  ['deleteMyData', DELETE],
])('%s', (_name, operation) => {
  it('refuses a user beyond the budget with RATE_LIMITED and retryAfter, others unaffected', async () => {
    const token = await tokenFor(`pd-limit-${operation.length}`);
    expect(codeOf(await gql(app, operation, {}, token))).toBe('data');
    expect(codeOf(await gql(app, operation, {}, token))).toBe('data');
    const refused = await gql(app, operation, {}, token);
    expect(refused.errors?.[0]?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    expect(codeOf(await gql(app, operation, {}, await tokenFor(`pd-limit-other-${operation.length}`)))).toBe('data');
  });
});
