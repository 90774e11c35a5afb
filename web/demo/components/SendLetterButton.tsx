import { useState } from 'react';

/** The letter gate as a user meets it: enabled only when verifyIdentity passes. */
export function SendLetterButton({ allowed }: { allowed: boolean }) {
  const [sent, setSent] = useState(false);
  return (
    <section className="card letter">
      <button type="button" className="button primary" data-testid="demo-send-letter" disabled={!allowed} onClick={() => setSent(true)}>
        寄一封信
      </button>
      <p className="hint" role="status">
        {sent ? '信件已寄出(演示)。' : allowed ? '身份已核验,可以寄信。' : '完成实名认证后才能寄信。'}
      </p>
    </section>
  );
}
