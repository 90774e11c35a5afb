import { useId, useState, type FormEvent } from 'react';
import { isValidIdCardNumber } from '@realname/domain/id-card.js';
import { RealnameError, type ConsentTermsQuery, type StartVerificationInput } from '@weiaibang/realname-client';
import { errorSentence } from '../words.js';
import { ConsentPanel } from './ConsentPanel.js';

export type ConsentTerms = ConsentTermsQuery['consentTerms'];

const NAME = /^[\p{Script=Han}A-Za-z·• ]{2,30}$/u;

/** Name and number with inline checks (the service's own GB 11643 rules), then both consents. */
export function IdentityForm({ terms, onStart }: { terms: ConsentTerms; onStart: (input: Omit<StartVerificationInput, 'returnUrl'>) => Promise<void> }) {
  const [realName, setRealName] = useState('');
  const [idCardNumber, setIdCardNumber] = useState('');
  const [touched, setTouched] = useState({ realName: false, idCardNumber: false });
  const [consent, setConsent] = useState(false);
  const [biometricConsent, setBiometricConsent] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [refusal, setRefusal] = useState<string>();
  // One key per form: a double tap or a retry after a lost answer resumes the same verification.
  const [idempotencyKey] = useState(() => crypto.randomUUID());
  const nameId = useId();
  const numberId = useId();

  const nameOk = NAME.test(realName.trim());
  const numberOk = isValidIdCardNumber(idCardNumber);
  const nameError = touched.realName && !nameOk ? '请输入身份证上的姓名(2至30个字)' : undefined;
  const numberError =
    (touched.idCardNumber || idCardNumber.trim().length >= 18) && !numberOk ? '身份证号码有误,请核对18位号码(最后一位可能是X)' : undefined;
  const ready = nameOk && numberOk && consent && biometricConsent && !submitting;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched({ realName: true, idCardNumber: true });
    if (!ready) return;
    setSubmitting(true);
    setRefusal(undefined);
    try {
      await onStart({ realName: realName.trim(), idCardNumber: idCardNumber.trim(), consentVersion: terms.version, biometricConsent, idempotencyKey });
    } catch (error) {
      setRefusal(error instanceof RealnameError ? errorSentence(error) : '网络连接失败,请检查网络后重试');
      setSubmitting(false);
    }
  };

  return (
    <form className="card" onSubmit={submit} noValidate>
      <h2>填写身份信息</h2>
      <div className="field">
        <label htmlFor={nameId}>真实姓名</label>
        <input
          id={nameId}
          data-testid="demo-name"
          value={realName}
          onChange={(e) => setRealName(e.target.value)}
          onBlur={() => setTouched((t) => ({ ...t, realName: true }))}
          autoComplete="name"
          aria-invalid={nameError ? true : undefined}
          aria-describedby={nameError ? `${nameId}-error` : undefined}
          placeholder="与身份证上一致"
        />
        {nameError && (
          <p className="field-error" id={`${nameId}-error`} role="alert">
            {nameError}
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor={numberId}>身份证号码</label>
        <input
          id={numberId}
          data-testid="demo-id-number"
          value={idCardNumber}
          onChange={(e) => setIdCardNumber(e.target.value.toUpperCase())}
          onBlur={() => setTouched((t) => ({ ...t, idCardNumber: true }))}
          inputMode="text"
          autoComplete="off"
          maxLength={18}
          aria-invalid={numberError ? true : undefined}
          aria-describedby={numberError ? `${numberId}-error` : undefined}
          placeholder="18位号码"
        />
        {numberError && (
          <p className="field-error" id={`${numberId}-error`} role="alert" data-testid="demo-id-number-error">
            {numberError}
          </p>
        )}
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
      {refusal && (
        <p className="form-error" role="alert" data-testid="demo-error">
          {refusal}
        </p>
      )}
      <button className="button primary" type="submit" data-testid="demo-start" disabled={!ready}>
        {submitting ? '正在提交…' : '开始认证'}
      </button>
    </form>
  );
}
