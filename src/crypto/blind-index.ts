import { createHmac, createSecretKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { parseReviewDocumentNumber, type ReviewDocumentNumber } from '../domain/document-review.js';
import type { ReviewDocumentType } from '../domain/documents.js';
import { parseIdCardNumber } from '../domain/id-card.js';

const MIN_KEY_BYTES = 32;

/**
 * Finds the same ID number across accounts without storing it: HMAC-SHA256 of the normalised
 * number. Its key (REALNAME_INDEX_KEY) is not the master key on purpose: the master key rotates,
 * and every stored index would have to be recomputed from decrypted numbers if this key moved too.
 */
export class BlindIndex {
  readonly #key: KeyObject;

  /** A string is standard base64 if it is that and decodes to ≥ 32 bytes, else raw UTF-8. */
  constructor(
    key: Buffer | string,
    private readonly clock: () => Date = () => new Date(),
  ) {
    const bytes = typeof key === 'string' ? keyBytes(key) : Buffer.from(key);
    if (bytes.length < MIN_KEY_BYTES) {
      throw new Error(`the blind index key must be at least ${MIN_KEY_BYTES} bytes`);
    }
    this.#key = createSecretKey(bytes);
    bytes.fill(0);
  }

  /** Throws INVALID_ID_CARD_NUMBER like parseIdCardNumber; 15-digit and lowercase-x forms agree. */
  of(idCardNumber: string): string {
    const { value } = parseIdCardNumber(idCardNumber, this.clock());
    return createHmac('sha256', this.#key).update(value, 'utf8').digest('hex');
  }

  /**
   * A review-only document's lifelong number, scoped by its document: `TYPE:number` never equals
   * another document's input, nor a GB 11643 number (18 characters, no colon), so numbers of
   * different documents never collide and the ID card's indexes stay as they were.
   */
  ofReviewDocument({ documentType, value }: ReviewDocumentNumber): string {
    return createHmac('sha256', this.#key).update(`${documentType}:${value}`, 'utf8').digest('hex');
  }

  /** A number as an operator types it: a GB 11643 one, or under `documentType` a review-only document's. */
  ofDocument(number: string, documentType?: ReviewDocumentType | null): string {
    return documentType ? this.ofReviewDocument(parseReviewDocumentNumber(number, documentType, this.clock())) : this.of(number);
  }
}

function keyBytes(key: string): Buffer {
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(key)) {
    const decoded = Buffer.from(key, 'base64');
    if (decoded.length >= MIN_KEY_BYTES && decoded.toString('base64') === key) return decoded;
    decoded.fill(0);
  }
  return Buffer.from(key, 'utf8');
}
