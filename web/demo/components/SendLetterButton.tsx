import { useState } from 'react';

export interface GateAnswer {
  passed: boolean;
  reason?: string | null;
}

/** The letter gate as a user meets it: enabled only when verifyIdentity passes; a stale face check offers 重新刷脸. */
export function SendLetterButton({ gate, onStepUp }: { gate: GateAnswer; onStepUp?: () => void }) {
  const [sent, setSent] = useState(false);
  const stepUp = !gate.passed && gate.reason === 'STEP_UP_REQUIRED';
  return (
    <section className="card letter">
      <button type="button" className="button primary" data-testid="demo-send-letter" disabled={!gate.passed} onClick={() => setSent(true)}>
        寄一封信
      </button>
      <p className="hint" role="status">
        {sent ? '信件已寄出(演示)。' : gate.passed ? '身份已核验,可以寄信。' : stepUp ? '寄这封信前,需要重新刷脸确认是您本人。' : '完成实名认证后才能寄信。'}
      </p>
      {stepUp && onStepUp && (
        <button type="button" className="button secondary" data-testid="demo-step-up" onClick={onStepUp}>
          重新刷脸
        </button>
      )}
    </section>
  );
}
