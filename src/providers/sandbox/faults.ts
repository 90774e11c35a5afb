/**
 * Failures the sandbox can be told to produce, for reliability tests:
 * - `delay`: answer normally after `ms`; `timeout`: never answer; `reset`: drop the connection;
 * - `http500`: HTTP 500 with Aliyun's InternalError body; `code500`: HTTP 200 with Code 500;
 * - `malformed`: HTTP 200 with truncated JSON; `badSignature`: reject as SignatureDoesNotMatch;
 * - `throttle`: HTTP 400 Throttling.User, as when a per-API QPS limit is exceeded.
 */
export type SandboxFaultKind = 'delay' | 'timeout' | 'reset' | 'http500' | 'code500' | 'malformed' | 'badSignature' | 'throttle';

export interface SandboxFault {
  /** Only this action (e.g. `InitFaceVerify`); every action when absent. */
  action?: string;
  kind: SandboxFaultKind;
  ms?: number;
  /** How many requests it hits; until cleared when absent. */
  times?: number;
}

export class FaultPlan {
  private faults: Array<SandboxFault & { left: number }> = [];

  add(fault: SandboxFault): void {
    this.faults.push({ ...fault, left: fault.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.faults = [];
  }

  /** The first fault that applies to this request, counted as used. */
  take(action: string): SandboxFault | undefined {
    const fault = this.faults.find((f) => f.left > 0 && (f.action === undefined || f.action === action));
    if (fault) fault.left -= 1;
    return fault;
  }
}
