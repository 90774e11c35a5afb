import { formatDate } from '../words.js';

/** Shown while the renewal window is open: renewing takes one face check, nothing to type. */
export function RenewalOffer({ expiresAt, isValid, onRenew }: { expiresAt: string | null; isValid: boolean; onRenew: () => void }) {
  const when = expiresAt ? formatDate(expiresAt) : '';
  return (
    <section className="card renewal" data-testid="demo-renewal">
      <h2>{isValid ? '实名认证即将到期' : '实名认证已到期'}</h2>
      <p>{isValid ? `您的实名认证将于${when}到期。` : `您的实名认证已于${when}到期。`}续期只需刷脸,无需重新填写。</p>
      <button type="button" className="button primary" data-testid="demo-renew" onClick={onRenew}>
        续期
      </button>
    </section>
  );
}
