/**
 * The identity documents Aliyun 实人认证 verifies with one flow: the resident ID card and both
 * residence permits share GB 11643's 18-character form (permits: prefixes 81/82 for Hong Kong and
 * Macao residents, 83 for Taiwan residents) and are all sent as CertType `IDENTITY_CARD`.
 */
export const DOCUMENT_TYPES = ['RESIDENT_ID_CARD', 'HK_MACAO_RESIDENCE_PERMIT', 'TAIWAN_RESIDENCE_PERMIT'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/**
 * Documents whose numbers Aliyun's authoritative source does not check: the travel permits
 * (港澳居民来往内地通行证, 台湾居民来往大陆通行证) and the foreigner's permanent residence card. Their
 * holders' path is `requestDocumentReview`: an operator checks the document and decides.
 */
export const REVIEW_DOCUMENT_TYPES = ['HK_MACAO_TRAVEL_PERMIT', 'TAIWAN_TRAVEL_PERMIT', 'FOREIGN_PERMANENT_RESIDENCE_CARD'] as const;
export type ReviewDocumentType = (typeof REVIEW_DOCUMENT_TYPES)[number];

/** What a verification record may carry: a document verified online, or one only a manual review takes. */
export const RECORDED_DOCUMENT_TYPES = [...DOCUMENT_TYPES, ...REVIEW_DOCUMENT_TYPES] as const;
export type RecordedDocumentType = (typeof RECORDED_DOCUMENT_TYPES)[number];

export const DEFAULT_DOCUMENT_TYPE: DocumentType = 'RESIDENT_ID_CARD';

export const isDocumentType = (value: string): value is DocumentType => (DOCUMENT_TYPES as readonly string[]).includes(value);
export const isReviewDocumentType = (value: string): value is ReviewDocumentType => (REVIEW_DOCUMENT_TYPES as readonly string[]).includes(value);

export const REVIEW_DOCUMENT_NAMES: Readonly<Record<ReviewDocumentType, string>> = {
  HK_MACAO_TRAVEL_PERMIT: '港澳居民来往内地通行证',
  TAIWAN_TRAVEL_PERMIT: '台湾居民来往大陆通行证',
  FOREIGN_PERMANENT_RESIDENCE_CARD: '外国人永久居留身份证',
};

// Said in every description so a client can show it; the API's name for the path is
// requestDocumentReview (the demo's 「其他证件(人工审核)」).
const NOT_HERE =
  '港澳居民来往内地通行证、台湾居民来往大陆通行证(台胞证)和外国人永久居留身份证无法在线核验:持这些证件的用户请选择“其他证件(人工审核)”,提交姓名和证件号码,由审核人员人工核验。';

export const SUPPORTED_DOCUMENTS: readonly { type: DocumentType; name: string; description: string }[] = [
  { type: 'RESIDENT_ID_CARD', name: '中华人民共和国居民身份证', description: `18位公民身份号码(15位旧号码将自动升级)。${NOT_HERE}` },
  { type: 'HK_MACAO_RESIDENCE_PERMIT', name: '港澳居民居住证', description: `18位公民身份号码,以81(香港)或82(澳门)开头。${NOT_HERE}` },
  { type: 'TAIWAN_RESIDENCE_PERMIT', name: '台湾居民居住证', description: `18位公民身份号码,以83开头。${NOT_HERE}` },
];

/** What this deployment accepts (ACCEPTED_DOCUMENTS), in the order above. */
export function acceptedDocuments(accepted: readonly DocumentType[]) {
  return SUPPORTED_DOCUMENTS.filter((document) => accepted.includes(document.type));
}
