import { useCallback, useEffect, useRef, useState } from 'react';
import {
  RealnameError,
  type AuthStatusQuery,
  type DocumentReviewInput,
  type FaceCheckInput,
  type RealnameClient,
  type StartVerificationInput,
  type Verification,
  type VerificationSession,
} from '@weiaibang/realname-client';
import { ConnectionBanner } from './components/ConnectionBanner.js';
import { DocumentReviewForm } from './components/DocumentReviewForm.js';
import { FaceCheckPanel, type HeldIdentityPurpose } from './components/FaceCheckPanel.js';
import { IdentityForm, type ConsentTerms, type SupportedDocuments } from './components/IdentityForm.js';
import { Notice } from './components/Notice.js';
import { RenewalOffer } from './components/RenewalOffer.js';
import { SendLetterButton, type GateAnswer } from './components/SendLetterButton.js';
import { StatusPanel } from './components/StatusPanel.js';
import { errorSentence, formatTime } from './words.js';

type Phase =
  | { kind: 'loading' }
  | { kind: 'failed'; error: RealnameError }
  | { kind: 'locked'; until: string | null }
  | { kind: 'form' }
  | { kind: 'documentReview' }
  | { kind: 'faceCheck'; purpose: HeldIdentityPurpose }
  | { kind: 'verification'; verification: Verification };

type AuthState = AuthStatusQuery['userAuthStatus'];

const asRealnameError = (error: unknown) => (error instanceof RealnameError ? error : RealnameError.network(error));

/** `?faceCheckDays=N` stands in for a sensitive letter: the gate then asks for a face check at most N days old. */
function faceCheckDays(): number | undefined {
  const raw = new URLSearchParams(location.search).get('faceCheckDays');
  return raw !== null && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/** Trying again goes back to where the attempt began: the form, the document review, or the face check. */
function retryPhase(verification: Verification): Phase {
  if (verification.purpose !== 'VERIFY') return { kind: 'faceCheck', purpose: verification.purpose };
  return verification.reviewDocumentType ? { kind: 'documentReview' } : { kind: 'form' };
}

export function VerificationFlow({ client, userId }: { client: RealnameClient; userId: string }) {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const [terms, setTerms] = useState<ConsentTerms>();
  const [documents, setDocuments] = useState<SupportedDocuments>([]);
  const [gate, setGate] = useState<GateAnswer>({ passed: false });
  const [auth, setAuth] = useState<AuthState>();
  const session = useRef<VerificationSession>(undefined);

  const checkGate = useCallback(async () => {
    setGate(await client.verifyIdentity(undefined, faceCheckDays()).catch(() => ({ passed: false })));
  }, [client]);

  // Only a renewal changes whether the 续期 card shows; any other result needs no status read.
  const afterResult = useCallback(
    async (final: Verification) => {
      await checkGate();
      if (final.purpose === 'RENEWAL') setAuth(await client.authStatus().catch(() => undefined));
    },
    [client, checkGate],
  );

  const follow = useCallback(
    (next: VerificationSession) => {
      session.current?.close();
      session.current = next;
      setPhase({ kind: 'verification', verification: next.verification });
      // While it waits, the page asks nothing over HTTP: the subscription carries the result.
      next.on('status', (verification) => setPhase({ kind: 'verification', verification }));
      next.on('error', (error) => setPhase({ kind: 'failed', error }));
      next.result.then((final) => afterResult(final), () => {});
    },
    [afterResult],
  );

  const load = useCallback(async () => {
    setPhase({ kind: 'loading' });
    try {
      const [consentTerms, supportedDocuments, status] = await Promise.all([client.consentTerms(), client.supportedDocuments(), client.authStatus()]);
      setTerms(consentTerms);
      setAuth(status);
      setDocuments(supportedDocuments);
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

  const requestReview = async (input: DocumentReviewInput) => {
    follow((await client.requestDocumentReview(input)).session); // a refusal: the form shows it beside the fields
  };

  const startFaceCheck = (purpose: HeldIdentityPurpose) => async (input: Omit<FaceCheckInput, 'returnUrl'>) => {
    const returnUrl = `${location.origin}${location.pathname}${location.search}`;
    const withReturn = { ...input, returnUrl };
    try {
      follow(await (purpose === 'RENEWAL' ? client.renew(withReturn) : client.startStepUp(withReturn)));
    } catch (error) {
      const refusal = asRealnameError(error);
      if (refusal.code === 'LOCKED') setPhase({ kind: 'locked', until: refusal.lockedUntil ?? null });
      else throw refusal; // the panel shows it above its button
    }
  };

  const open = phase.kind === 'verification' && (phase.verification.status === 'PENDING' || phase.verification.status === 'PROCESSING');
  const offerRenewal = auth?.renewable && phase.kind !== 'faceCheck' && phase.kind !== 'locked' && !open;

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
      {phase.kind === 'form' && terms && <IdentityForm terms={terms} documents={documents} onStart={start} onOtherDocument={() => setPhase({ kind: 'documentReview' })} />}
      {phase.kind === 'documentReview' && terms && <DocumentReviewForm terms={terms} onRequest={requestReview} onBack={() => setPhase({ kind: 'form' })} />}
      {phase.kind === 'faceCheck' && terms && (
        <FaceCheckPanel key={phase.purpose} purpose={phase.purpose} terms={terms} onStart={startFaceCheck(phase.purpose)} onBack={() => void load()} />
      )}
      {phase.kind === 'verification' && (
        <StatusPanel
          verification={phase.verification}
          onCancel={() => session.current?.cancel().catch((error: unknown) => setPhase({ kind: 'failed', error: asRealnameError(error) }))}
          onRetry={() => setPhase(retryPhase(phase.verification))}
        />
      )}
      {offerRenewal && auth && <RenewalOffer expiresAt={auth.expiresAt} isValid={auth.isValid} onRenew={() => setPhase({ kind: 'faceCheck', purpose: 'RENEWAL' })} />}
      <SendLetterButton gate={gate} onStepUp={phase.kind === 'faceCheck' || open ? undefined : () => setPhase({ kind: 'faceCheck', purpose: 'STEP_UP' })} />
    </>
  );
}
