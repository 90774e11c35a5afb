import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildRealnameSchema, printRealnameSchema } from '../../src/graphql/schema.js';

describe('schema.graphql', () => {
  it('matches the schema the resolvers build (run `npm run schema` after changing them)', async () => {
    const committed = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
    expect(printRealnameSchema(await buildRealnameSchema())).toBe(committed);
  });

  it('keeps the contract names of DESIGN.md', async () => {
    const schema = await buildRealnameSchema();
    const roots = { Query: schema.getQueryType(), Mutation: schema.getMutationType(), Subscription: schema.getSubscriptionType() };
    const fields = (name: keyof typeof roots) => Object.keys(roots[name]!.getFields());
    expect(fields('Query')).toEqual(expect.arrayContaining(['verification', 'userAuthStatus', 'consentTerms', 'supportedDocuments']));
    expect(fields('Mutation')).toEqual(expect.arrayContaining(['startVerification', 'cancelVerification', 'verifyIdentity']));
    expect(fields('Subscription')).toEqual(['verificationResult']);
  });
});
