import { GraphQLError, parse, type DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { checkedDocuments, DOCUMENTS_KEPT } from '../../src/http/websocket.js';

const query = (i: number) => `subscription S${i} { verificationResult(id: "x") { status } }`;

describe('checkedDocuments', () => {
  function counting() {
    const checked: string[] = [];
    const documents = checkedDocuments((text) => {
      checked.push(text);
      return text.includes('bad') ? { errors: [new GraphQLError('refused')] } : { document: parse(text) as DocumentNode };
    });
    return { documents, checked };
  }

  it('parses and validates a text once and hands every subscription the same document', () => {
    const { documents, checked } = counting();
    const first = documents.check(query(1));
    const second = documents.check(query(1));
    expect(second).toBe(first);
    expect(checked).toEqual([query(1)]);
  });

  it('keeps no refused text: it is checked again, and refused again', () => {
    const { documents, checked } = counting();
    expect(documents.check('bad')).toHaveProperty('errors');
    expect(documents.check('bad')).toHaveProperty('errors');
    expect(checked).toEqual(['bad', 'bad']);
  });

  it('keeps at most DOCUMENTS_KEPT texts, forgetting the oldest first', () => {
    const { documents, checked } = counting();
    for (let i = 0; i <= DOCUMENTS_KEPT; i++) documents.check(query(i));
    documents.check(query(DOCUMENTS_KEPT));
    documents.check(query(0));
    expect(checked.filter((t) => t === query(0))).toHaveLength(2);
    expect(checked.filter((t) => t === query(DOCUMENTS_KEPT))).toHaveLength(1);
  });
});
