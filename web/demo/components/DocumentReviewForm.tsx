import { useId, useState, type FormEvent } from 'react';
import { isValidReviewDocumentNumber, REVIEW_NUMBER_HINTS } from '@realname/domain/document-review.js';
import { REVIEW_DOCUMENT_NAMES, REVIEW_DOCUMENT_TYPES } from '@realname/domain/documents.js';
import type { DocumentReviewInput, ReviewDocumentType } from '@weiaibang/realname-client';
import { refusalSentence } from '../words.js';
import { ConsentPanel } from './ConsentPanel.js';
import { Refusal, TextField } from './TextField.js';
import type { ConsentTerms } from './IdentityForm.js';

const NOTE_MAX = 500;
// The service's own rule (reviewApplicantName): letters of any script, as on the document; no digits.
const NAME = /^[\p{L}\p{M}·•.,'’\- ]{1,80}$/u;

/**
 * 其他证件(人工审核): a document Aliyun cannot verify online — the travel permits and the foreigner's
 * permanent residence card. The number is checked inline by the service's own rules; an operator
 * checks the document and decides, and the status page hears the decision live.
 */
export function DocumentReviewForm({ terms, onRequest, onBack }: { terms: ConsentTerms; onRequest: (input: DocumentReviewInput) => Promise<void>; onBack: () => void }) {
  const [documentType, setDocumentType] = useState<ReviewDocumentType>('HK_MACAO_TRAVEL_PERMIT');
  const [realName, setRealName] = useState('');
  const [documentNumber, setDocumentNumber] = useState('');
  const [note, setNote] = useState('');
  const [touched, setTouched] = useState({ realName: false, documentNumber: false });
  const [consent, setConsent] = useState(false);
  const [reviewConsent, setReviewConsent] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [refusal, setRefusal] = useState<string>();
  const noteId = useId();

  const name = realName.normalize('NFC').trim();
  const nameOk = NAME.test(name) && /\p{L}/u.test(name);
  const numberOk = isValidReviewDocumentNumber(documentNumber, documentType);
  const nameError = touched.realName && !nameOk ? '请输入与证件上一致的姓名(中文或英文)' : undefined;
  const numberError = touched.documentNumber && !numberOk ? REVIEW_NUMBER_HINTS[documentType] : undefined;
  const ready = nameOk && numberOk && consent && reviewConsent && note.length <= NOTE_MAX && !submitting;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched({ realName: true, documentNumber: true });
    if (!ready) return;
    setSubmitting(true);
    setRefusal(undefined);
    try {
      await onRequest({ documentType, realName: name, documentNumber: documentNumber.trim(), note: note.trim() || null, consentVersion: terms.version, reviewConsent });
    } catch (error) {
      setRefusal(refusalSentence(error));
      setSubmitting(false);
    }
  };

  return (
    <form className="card" onSubmit={submit} noValidate data-testid="demo-review-form">
      <h2>其他证件(人工审核)</h2>
      <p className="hint">以下证件无法在线核验,提交后由审核人员人工核对,结果出来后本页会自动更新。</p>
      <fieldset className="choice">
        <legend>证件类型</legend>
        {REVIEW_DOCUMENT_TYPES.map((type) => (
          <label key={type} className="check">
            <input type="radio" name="reviewDocumentType" value={type} checked={documentType === type} onChange={() => setDocumentType(type)} />
            <span>{REVIEW_DOCUMENT_NAMES[type]}</span>
          </label>
        ))}
      </fieldset>
      <TextField
        label="姓名"
        testId="demo-review-name"
        value={realName}
        onChange={(e) => setRealName(e.target.value)}
        onBlur={() => setTouched((t) => ({ ...t, realName: true }))}
        autoComplete="name"
        error={nameError}
        placeholder="与证件上一致,中文或英文"
      />
      <TextField
        label="证件号码"
        testId="demo-review-number"
        errorTestId="demo-review-number-error"
        value={documentNumber}
        onChange={(e) => setDocumentNumber(e.target.value.toUpperCase())}
        onBlur={() => setTouched((t) => ({ ...t, documentNumber: true }))}
        autoComplete="off"
        maxLength={24}
        error={numberError}
      />
      <div className="field">
        <label htmlFor={noteId}>给审核人员的说明(选填)</label>
        <textarea id={noteId} data-testid="demo-review-note" value={note} maxLength={NOTE_MAX} rows={3} onChange={(e) => setNote(e.target.value)} aria-describedby={`${noteId}-count`} />
        <p className="hint" id={`${noteId}-count`}>
          {note.length}/{NOTE_MAX}
        </p>
      </div>
      <ConsentPanel title="个人信息处理授权" text={terms.text} checked={consent} onChange={setConsent} testId="demo-review-consent" label="我已阅读并同意上述个人信息处理授权" />
      <ConsentPanel
        title="人工审核单独授权"
        text={terms.reviewText}
        checked={reviewConsent}
        onChange={setReviewConsent}
        testId="demo-review-operator-consent"
        label="我单独同意审核人员查看我的姓名和证件号码"
      />
      <Refusal text={refusal} />
      <button className="button primary" type="submit" data-testid="demo-review-submit" disabled={!ready}>
        {submitting ? '正在提交…' : '提交人工审核'}
      </button>
      <button type="button" className="button secondary" onClick={onBack}>
        返回在线认证
      </button>
    </form>
  );
}
