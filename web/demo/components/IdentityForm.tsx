import { useId, useState, type FormEvent } from 'react';
import { isValidDocumentNumber } from '@realname/domain/id-card.js';
import { type ConsentTermsQuery, type DocumentType, type StartVerificationInput, type SupportedDocumentsQuery } from '@weiaibang/realname-client';
import { refusalSentence } from '../words.js';
import { ConsentPanel } from './ConsentPanel.js';
import { Refusal, TextField } from './TextField.js';

export type ConsentTerms = ConsentTermsQuery['consentTerms'];
export type SupportedDocuments = SupportedDocumentsQuery['supportedDocuments'];

const NUMBER_HINTS: Record<DocumentType, string> = {
  RESIDENT_ID_CARD: '身份证号码有误,请核对18位号码(最后一位可能是X)',
  HK_MACAO_RESIDENCE_PERMIT: '居住证号码有误,港澳居民居住证号码为18位,以81或82开头',
  TAIWAN_RESIDENCE_PERMIT: '居住证号码有误,台湾居民居住证号码为18位,以83开头',
};

const NAME = /^[\p{Script=Han}A-Za-z·• ]{2,30}$/u;

/**
 * The document, name and number with inline checks (the service's own GB 11643 rules for that
 * document), the elderly-friendly mode, then both consents.
 */
export function IdentityForm({
  terms,
  documents,
  onStart,
  onOtherDocument,
}: {
  terms: ConsentTerms;
  documents: SupportedDocuments;
  onStart: (input: Omit<StartVerificationInput, 'returnUrl'>) => Promise<void>;
  /** 其他证件(人工审核): the path for documents no online check takes. */
  onOtherDocument: () => void;
}) {
  const [documentType, setDocumentType] = useState<DocumentType>('RESIDENT_ID_CARD');
  const [elderlyMode, setElderlyMode] = useState(false);
  const [realName, setRealName] = useState('');
  const [idCardNumber, setIdCardNumber] = useState('');
  const [touched, setTouched] = useState({ realName: false, idCardNumber: false });
  const [consent, setConsent] = useState(false);
  const [biometricConsent, setBiometricConsent] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [refusal, setRefusal] = useState<string>();
  // One key per form: a double tap or a retry after a lost answer resumes the same verification.
  const [idempotencyKey] = useState(() => crypto.randomUUID());
  const elderlyId = useId();
  const chosen = documents.find((d) => d.type === documentType);

  const nameOk = NAME.test(realName.trim());
  const numberOk = isValidDocumentNumber(idCardNumber, documentType);
  const nameError = touched.realName && !nameOk ? '请输入身份证上的姓名(2至30个字)' : undefined;
  const numberError =
    (touched.idCardNumber || idCardNumber.trim().length >= 18) && !numberOk ? NUMBER_HINTS[documentType] : undefined;
  const ready = nameOk && numberOk && consent && biometricConsent && !submitting;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched({ realName: true, idCardNumber: true });
    if (!ready) return;
    setSubmitting(true);
    setRefusal(undefined);
    try {
      await onStart({ realName: realName.trim(), idCardNumber: idCardNumber.trim(), documentType, elderlyMode, consentVersion: terms.version, biometricConsent, idempotencyKey });
    } catch (error) {
      setRefusal(refusalSentence(error));
      setSubmitting(false);
    }
  };

  return (
    <form className="card" onSubmit={submit} noValidate>
      <h2>填写身份信息</h2>
      {documents.length > 1 && (
        <fieldset className="choice" data-testid="demo-document">
          <legend>证件类型</legend>
          {documents.map((document) => (
            <label key={document.type} className="check">
              <input
                type="radio"
                name="documentType"
                value={document.type}
                data-testid={`demo-document-${document.type}`}
                checked={documentType === document.type}
                onChange={() => setDocumentType(document.type)}
              />
              <span>{document.name}</span>
            </label>
          ))}
        </fieldset>
      )}
      {chosen && (
        <p className="hint" data-testid="demo-document-hint">
          {chosen.description}
        </p>
      )}
      <button type="button" className="link-button" data-testid="demo-other-document" onClick={onOtherDocument}>
        其他证件(人工审核)
      </button>
      <TextField
        label="真实姓名"
        testId="demo-name"
        value={realName}
        onChange={(e) => setRealName(e.target.value)}
        onBlur={() => setTouched((t) => ({ ...t, realName: true }))}
        autoComplete="name"
        error={nameError}
        placeholder="与身份证上一致"
      />
      <TextField
        label={documentType === 'RESIDENT_ID_CARD' ? '身份证号码' : '居住证号码'}
        testId="demo-id-number"
        errorTestId="demo-id-number-error"
        value={idCardNumber}
        onChange={(e) => setIdCardNumber(e.target.value.toUpperCase())}
        onBlur={() => setTouched((t) => ({ ...t, idCardNumber: true }))}
        inputMode="text"
        autoComplete="off"
        maxLength={18}
        error={numberError}
        placeholder="18位号码"
      />
      <div className="field switch-field">
        <label className="check" htmlFor={elderlyId}>
          <input id={elderlyId} type="checkbox" role="switch" data-testid="demo-elderly" checked={elderlyMode} onChange={(e) => setElderlyMode(e.target.checked)} aria-describedby={`${elderlyId}-hint`} />
          <span>适老化模式</span>
        </label>
        <p className="hint" id={`${elderlyId}-hint`}>
          开启后,刷脸页面字体更大、有语音提示,适合老年人使用
        </p>
      </div>
      <ConsentPanel title="个人信息处理授权" text={terms.text} checked={consent} onChange={setConsent} testId="demo-consent" label="我已阅读并同意上述个人信息处理授权" />
      <ConsentPanel
        title="人脸信息单独授权"
        text={terms.biometricText}
        checked={biometricConsent}
        onChange={setBiometricConsent}
        testId="demo-biometric-consent"
        label="我单独同意为本次认证处理我的人脸信息"
      />
      <Refusal text={refusal} />
      <button className="button primary" type="submit" data-testid="demo-start" disabled={!ready}>
        {submitting ? '正在提交…' : '开始认证'}
      </button>
    </form>
  );
}
