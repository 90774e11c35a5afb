import type { Metrics } from '../http/metrics.js';
import type { Logger } from '../logger.js';
import { SpanKind } from '@opentelemetry/api';
import { currentScope, tagVerification } from './context.js';
import { ATTR, inSpan } from './spans.js';
import { ProviderError, type FaceVerifyProvider } from '../providers/provider.js';
import { tappingPublish, type EventBus, type TopicPayloads } from '../pubsub/event-bus.js';

const TERMINAL = new Set(['VERIFIED', 'FAILED', 'EXPIRED', 'CANCELED']);

/**
 * Every state a verification takes is published once, by the replica that made the change, on
 * `verificationResult`: counting there counts each start and each ending exactly once across
 * replicas, whether or not the broker takes the message.
 */
export function instrumentBus(bus: EventBus, metrics: Metrics): EventBus {
  return tappingPublish(bus, (message) => {
    if (message.topic !== 'verificationResult') return;
    tagVerification(message.payload.verificationId);
    countVerification(metrics, message.payload);
  });
}

function countVerification(metrics: Metrics, event: TopicPayloads['verificationResult']) {
  if (event.change === 'started') metrics.authInit.inc();
  if (!TERMINAL.has(event.status)) return;
  if (event.status === 'VERIFIED') metrics.authSuccess.inc();
  else metrics.authFailure.inc({ reason: event.failureCode ?? event.status });
  if (event.failureCode === 'IDENTITY_ALREADY_BOUND') metrics.identityBoundElsewhere.inc();
  const seconds = (Date.parse(event.at) - Date.parse(event.createdAt)) / 1000;
  metrics.authProcessingTime.observe({ status: event.status }, Math.max(0, seconds));
}

/** Aliyun's action names, so the metrics read like the provider's own console. */
const ACTIONS = {
  checkIdentity: 'Id2MetaVerify',
  initFaceVerify: 'InitFaceVerify',
  describeFaceVerify: 'DescribeFaceVerify',
  contrastFaceVerify: 'ContrastFaceVerify',
} as const;

/**
 * Calls, outcomes and latency of every cloudauth action, retries and failover included: a metric,
 * a log line and a span named after the action (its HTTP attempts beneath it). Neither the span nor
 * the line carries what was sent or answered, only the outcome and Aliyun's code.
 */
export function instrumentProvider(provider: FaceVerifyProvider, metrics: Metrics, log: Logger): FaceVerifyProvider {
  const call = <T>(action: string, run: () => Promise<T>): Promise<T> =>
    inSpan(action, { kind: SpanKind.CLIENT, attributes: { [ATTR.providerAction]: action, [ATTR.providerMode]: provider.mode } }, async (span) => {
      const stop = metrics.providerDuration.startTimer({ action });
      let outcome = 'ok';
      let providerCode: string | undefined;
      try {
        return await run();
      } catch (error) {
        outcome = error instanceof ProviderError ? error.kind : 'error';
        if (error instanceof ProviderError) providerCode = error.providerCode;
        throw error;
      } finally {
        const seconds = stop({ outcome });
        metrics.providerCalls.inc({ action, outcome });
        const verificationId = currentScope()?.verificationId;
        span.setAttribute(ATTR.providerOutcome, outcome);
        if (providerCode) span.setAttribute(ATTR.providerCode, providerCode);
        if (verificationId) span.setAttribute(ATTR.verificationId, verificationId);
        log.info({ action, outcome, providerCode, ms: Math.round(seconds * 1000) }, 'provider call');
      }
    });
  return {
    mode: provider.mode,
    checkIdentity: (name, idCardNumber) => call(ACTIONS.checkIdentity, () => provider.checkIdentity(name, idCardNumber)),
    initFaceVerify: (input) => {
      // OuterOrderNo is the verification's id without its dashes.
      const id = /^[0-9a-f]{32}$/.exec(input.outerOrderNo)?.[0];
      if (id) tagVerification(`${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`);
      return call(ACTIONS.initFaceVerify, () => provider.initFaceVerify(input));
    },
    describeFaceVerify: (certifyId) => call(ACTIONS.describeFaceVerify, () => provider.describeFaceVerify(certifyId)),
    contrastFaceVerify: (input) => call(ACTIONS.contrastFaceVerify, () => provider.contrastFaceVerify(input)),
  };
}
