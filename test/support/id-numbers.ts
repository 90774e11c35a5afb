import { checkDigit } from '../../src/domain/id-card.js';

let sequence = 100;

/** A checksum-valid number that no real person holds in a way we care about: a test fixture only. */
export function validIdNumber(birth = '19900307', region = '110101'): string {
  sequence = (sequence + 7) % 1000;
  const first17 = `${region}${birth}${String(sequence).padStart(3, '0')}`;
  return first17 + checkDigit(first17);
}
