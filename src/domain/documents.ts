/**
 * The identity documents Aliyun 实人认证 verifies with one flow: the resident ID card and both
 * residence permits share GB 11643's 18-character form (permits: prefixes 81/82 for Hong Kong and
 * Macao residents, 83 for Taiwan residents) and are all sent as CertType `IDENTITY_CARD`.
 */
export const DOCUMENT_TYPES = ['RESIDENT_ID_CARD', 'HK_MACAO_RESIDENCE_PERMIT', 'TAIWAN_RESIDENCE_PERMIT'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

export const DEFAULT_DOCUMENT_TYPE: DocumentType = 'RESIDENT_ID_CARD';

export const isDocumentType = (value: string): value is DocumentType => (DOCUMENT_TYPES as readonly string[]).includes(value);

// Travel permits (港澳居民来往内地通行证, 台湾居民来往大陆通行证) and the foreigner's permanent residence
// card carry numbers of other forms that Aliyun's authoritative source does not check: their holders'
// path is the manual review, said in every description so a client can show it.
const NOT_HERE = '港澳居民来往内地通行证、台湾居民来往大陆通行证(台胞证)和外国人永久居留身份证无法在线核验,持这些证件的用户请联系客服进行人工审核。';

export const SUPPORTED_DOCUMENTS: readonly { type: DocumentType; name: string; description: string }[] = [
  { type: 'RESIDENT_ID_CARD', name: '中华人民共和国居民身份证', description: `18位公民身份号码(15位旧号码将自动升级)。${NOT_HERE}` },
  { type: 'HK_MACAO_RESIDENCE_PERMIT', name: '港澳居民居住证', description: `18位公民身份号码,以81(香港)或82(澳门)开头。${NOT_HERE}` },
  { type: 'TAIWAN_RESIDENCE_PERMIT', name: '台湾居民居住证', description: `18位公民身份号码,以83开头。${NOT_HERE}` },
];

/** What this deployment accepts (ACCEPTED_DOCUMENTS), in the order above. */
export function acceptedDocuments(accepted: readonly DocumentType[]) {
  return SUPPORTED_DOCUMENTS.filter((document) => accepted.includes(document.type));
}
