import type { Verification } from '@weiaibang/realname-client';
import { REVIEW_WAITING_WORDS, STATUS_WORDS, VERIFIED_WORDS } from '../words.js';

export function StatusPanel({ verification, onCancel, onRetry }: { verification: Verification; onCancel: () => void; onRetry: () => void }) {
  const { status, certifyUrl, failureReason, maskedName, maskedIdCardNumber } = verification;
  const words = status === 'VERIFIED' ? VERIFIED_WORDS[verification.purpose] : status === 'PROCESSING' && verification.mode === 'MANUAL' ? REVIEW_WAITING_WORDS : STATUS_WORDS[status];
  const numberLabel = verification.documentType === 'RESIDENT_ID_CARD' ? '身份证号' : '证件号码';
  const open = status === 'PENDING' || status === 'PROCESSING';
  return (
    <section className={`card status status-${status.toLowerCase()}`} data-testid="demo-status" data-status={status} data-purpose={verification.purpose} aria-live="polite">
      <h2>{words.title}</h2>
      {failureReason && status !== 'VERIFIED' && <p className="reason">{failureReason.message}</p>}
      <p>{words.hint}</p>
      {(maskedName || maskedIdCardNumber) && (
        <dl className="identity">
          {maskedName && (
            <>
              <dt>姓名</dt>
              <dd>{maskedName}</dd>
            </>
          )}
          {maskedIdCardNumber && (
            <>
              <dt>{numberLabel}</dt>
              <dd>{maskedIdCardNumber}</dd>
            </>
          )}
        </dl>
      )}
      {status === 'PENDING' && certifyUrl && (
        <a className="button primary" href={certifyUrl} target="_blank" rel="noopener" data-testid="demo-open-certify">
          前往人脸认证
        </a>
      )}
      {open && (
        <button type="button" className="button secondary" onClick={onCancel}>
          取消认证
        </button>
      )}
      {(status === 'FAILED' || status === 'EXPIRED' || status === 'CANCELED') && (
        <button type="button" className="button primary" data-testid="demo-retry" onClick={onRetry}>
          重新认证
        </button>
      )}
    </section>
  );
}
