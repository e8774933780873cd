/**
 * Fault injection for the local Google Cloud: the failures netreflex must survive in production,
 * on demand. Rules key on Google's method ids (`compute.routes.insert`, `*` for all) and are used
 * up as calls hit them, so "fail the next 2 inserts with 503" means exactly two failures.
 */
import type { ServerResponse } from 'node:http';
import { HttpError } from './errors.js';
import type { Request } from './http.js';

export type CallFault = 429 | 500 | 503 | 'reset';

interface CallRule { method: string; remaining: number; fault: CallFault }
interface OperationRule { method: string; remaining: number; message: string }
interface LatencyRule { method: string; ms: number }

const matches = (rule: { method: string }, methodId: string) => rule.method === '*' || rule.method === methodId;

export class Faults {
  private calls: CallRule[] = [];
  private operations: OperationRule[] = [];
  private latencies: LatencyRule[] = [];
  /** Faults that actually fired, for test output. */
  readonly fired: { method: string; fault: string }[] = [];

  failNext(method: string, count: number, fault: CallFault): void {
    this.calls.push({ method, remaining: count, fault });
  }

  /** The next `count` operations started by `method` end DONE with an error and change nothing. */
  failOperations(method: string, count: number, message = 'injected operation failure'): void {
    this.operations.push({ method, remaining: count, message });
  }

  addLatency(method: string, ms: number): void {
    this.latencies.push({ method, ms });
  }

  clear(): void {
    this.calls = [];
    this.operations = [];
    this.latencies = [];
  }

  /** Router hook: delays, answers with an error or resets the connection before the handler runs. */
  readonly hook = async (methodId: string, _req: Request, res: ServerResponse): Promise<'continue' | 'handled'> => {
    const delay = this.latencies.filter((l) => matches(l, methodId)).reduce((sum, l) => sum + l.ms, 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const rule = this.calls.find((r) => r.remaining > 0 && matches(r, methodId));
    if (!rule) return 'continue';
    rule.remaining -= 1;
    this.fired.push({ method: methodId, fault: String(rule.fault) });
    if (rule.fault === 'reset') {
      res.socket?.destroy();
      return 'handled';
    }
    const messages = { 429: 'Rate Limit Exceeded', 500: 'Internal Error', 503: 'The service is currently unavailable.' };
    throw new HttpError(rule.fault, `${messages[rule.fault]} (injected by netreflex emulator)`);
  };

  /** Consumed when an operation starts: the error message it should end with, if any. */
  takeOperationFailure(methodId: string): string | undefined {
    const rule = this.operations.find((r) => r.remaining > 0 && matches(r, methodId));
    if (!rule) return undefined;
    rule.remaining -= 1;
    this.fired.push({ method: methodId, fault: 'operation-error' });
    return rule.message;
  }
}
