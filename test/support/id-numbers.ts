import { checkDigit } from '../../src/domain/id-card.js';

let sequence = 100;

/** A checksum-valid number that no real person holds in a way we care about: a test fixture only. */
export function validIdNumber(birth = '19900307', region = '110101'): string {
  sequence = (sequence + 7) % 1000;
  const first17 = `${region}${birth}${String(sequence).padStart(3, '0')}`;
  return first17 + checkDigit(first17);
}

/** A checksum-valid residence permit number: 81 (Hong Kong), 82 (Macao) or 83 (Taiwan), area 0000. */
export function validPermitNumber(prefix: '81' | '82' | '83', birth = '19900307'): string {
  return validIdNumber(birth, `${prefix}0000`);
}
