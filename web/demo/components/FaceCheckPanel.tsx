import { useState } from 'react';
import type { FaceCheckInput } from '@weiaibang/realname-client';
import { refusalSentence } from '../words.js';
import { ConsentPanel } from './ConsentPanel.js';
import { Refusal } from './TextField.js';
import type { ConsentTerms } from './IdentityForm.js';

export type HeldIdentityPurpose = 'RENEWAL' | 'STEP_UP';

const WORDS: Record<HeldIdentityPurpose, { title: string; text: string; start: string }> = {
  RENEWAL: { title: '续期实名认证', text: '无需重新填写姓名和身份证号,只需完成一次人脸识别,认证有效期即重新开始计算。', start: '开始刷脸续期' },
  STEP_UP: { title: '重新刷脸', text: '这封信需要确认是您本人寄出。无需填写任何信息,只需完成一次人脸识别。', start: '开始刷脸' },
};

/** Renewal or step-up: no fields to fill, only both consents and one face check against the identity already held. */
export function FaceCheckPanel({ purpose, terms, onStart, onBack }: { purpose: HeldIdentityPurpose; terms: ConsentTerms; onStart: (input: Omit<FaceCheckInput, 'returnUrl'>) => Promise<void>; onBack: () => void }) {
  const [consent, setConsent] = useState(false);
  const [biometricConsent, setBiometricConsent] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [refusal, setRefusal] = useState<string>();
  // One key per panel: a double tap resumes the same face check instead of starting two.
  const [idempotencyKey] = useState(() => crypto.randomUUID());
  const words = WORDS[purpose];

  const start = async () => {
    setSubmitting(true);
    setRefusal(undefined);
    try {
      await onStart({ consentVersion: terms.version, biometricConsent, idempotencyKey });
    } catch (error) {
      setRefusal(refusalSentence(error));
      setSubmitting(false);
    }
  };

  return (
    <section className="card" data-testid="demo-face-check" data-purpose={purpose}>
      <h2>{words.title}</h2>
      <p>{words.text}</p>
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
      <button type="button" className="button primary" data-testid="demo-face-check-start" disabled={!consent || !biometricConsent || submitting} onClick={() => void start()}>
        {submitting ? '正在提交…' : words.start}
      </button>
      <button type="button" className="button secondary" onClick={onBack}>
        返回
      </button>
    </section>
  );
}
