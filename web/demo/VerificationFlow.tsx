import { useCallback, useEffect, useRef, useState } from 'react';
import { RealnameError, type RealnameClient, type StartVerificationInput, type Verification, type VerificationSession } from '@weiaibang/realname-client';
import { ConnectionBanner } from './components/ConnectionBanner.js';
import { IdentityForm, type ConsentTerms } from './components/IdentityForm.js';
import { Notice } from './components/Notice.js';
import { SendLetterButton } from './components/SendLetterButton.js';
import { StatusPanel } from './components/StatusPanel.js';
import { errorSentence, formatTime } from './words.js';

type Phase =
  | { kind: 'loading' }
  | { kind: 'failed'; error: RealnameError }
  | { kind: 'locked'; until: string | null }
  | { kind: 'form' }
  | { kind: 'verification'; verification: Verification };

const asRealnameError = (error: unknown) => (error instanceof RealnameError ? error : RealnameError.network(error));

export function VerificationFlow({ client, userId }: { client: RealnameClient; userId: string }) {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const [terms, setTerms] = useState<ConsentTerms>();
  const [letterAllowed, setLetterAllowed] = useState(false);
  const session = useRef<VerificationSession>(undefined);

  const checkGate = useCallback(async () => {
    setLetterAllowed((await client.verifyIdentity().catch(() => ({ passed: false }))).passed);
  }, [client]);

  const follow = useCallback(
    (next: VerificationSession) => {
      session.current?.close();
      session.current = next;
      setPhase({ kind: 'verification', verification: next.verification });
      // While it waits, the page asks nothing over HTTP: the subscription carries the result.
      next.on('status', (verification) => setPhase({ kind: 'verification', verification }));
      next.on('error', (error) => setPhase({ kind: 'failed', error }));
      next.result.then(() => checkGate(), () => {});
    },
    [checkGate],
  );

  const load = useCallback(async () => {
    setPhase({ kind: 'loading' });
    try {
      const [consentTerms, status] = await Promise.all([client.consentTerms(), client.authStatus()]);
      setTerms(consentTerms);
      const latest = status.latestVerification;
      if (status.status === 'LOCKED') setPhase({ kind: 'locked', until: status.lockedUntil });
      else if (latest && latest.status !== 'CANCELED') follow(client.watchVerification(latest));
      else setPhase({ kind: 'form' });
      await checkGate();
    } catch (error) {
      setPhase({ kind: 'failed', error: asRealnameError(error) });
    }
  }, [client, follow, checkGate]);

  useEffect(() => {
    void load();
    return () => session.current?.close();
  }, [load]);

  const start = async (input: Omit<StartVerificationInput, 'returnUrl'>) => {
    const returnUrl = `${location.origin}/demo?user=${encodeURIComponent(userId)}`;
    try {
      follow(await client.startVerification({ ...input, returnUrl }));
    } catch (error) {
      const refusal = asRealnameError(error);
      if (refusal.code === 'LOCKED') setPhase({ kind: 'locked', until: refusal.lockedUntil ?? null });
      else throw refusal; // the form shows it beside the fields
    }
  };

  return (
    <>
      <ConnectionBanner client={client} />
      <p className="signed-in">当前用户:{userId}</p>
      {phase.kind === 'loading' && <Notice tone="info" title="正在加载…" />}
      {phase.kind === 'failed' && (
        <Notice tone="error" title="出错了" text={errorSentence(phase.error)} testId="demo-error" action={{ label: '重试', onClick: () => void load() }} />
      )}
      {phase.kind === 'locked' && (
        <Notice
          tone="error"
          title="账号已暂时锁定"
          testId="demo-locked"
          text={phase.until ? `认证失败次数过多,请于${formatTime(phase.until)}后再试。` : '认证失败次数过多,请稍后再试。'}
        />
      )}
      {phase.kind === 'form' && terms && <IdentityForm terms={terms} onStart={start} />}
      {phase.kind === 'verification' && (
        <StatusPanel
          verification={phase.verification}
          onCancel={() => session.current?.cancel().catch((error: unknown) => setPhase({ kind: 'failed', error: asRealnameError(error) }))}
          onRetry={() => setPhase({ kind: 'form' })}
        />
      )}
      <SendLetterButton allowed={letterAllowed} />
    </>
  );
}
