/**
 * Fault injection for the local Google Cloud: the failures a client must survive in production,
 * on demand. Rules key on Google's method ids (`compute.routes.insert`), a family
 * (`compute.routes.*`) or `*` for every Google method, and are used up as calls hit them, so
 * "fail the next 2 inserts with 503" means exactly two failures.
 *
 * The emulator's own control API (`emulator.*`) is never faulted, not even by `*`: a test that
 * injects "fail everything" must still be able to clear it.
 *
 * `lost-response` is the fault that hurts idempotency most: the call takes effect, then the
 * connection is reset before the answer arrives, so the client retries a call that already
 * succeeded (a second insert answers 409, a second delete 404).
 */
import type { ServerResponse } from 'node:http';
import { HttpError } from './errors.js';
import type { Request } from './http.js';
import { OPERATION_FAULT_CODES } from './compute/operation-errors.js';
import type { Timers } from './timers.js';

export const CALL_FAULTS = [403, 404, 429, 500, 503, 'reset', 'lost-response'] as const;
export type CallFault = (typeof CALL_FAULTS)[number];

export const isCallFault = (value: unknown): value is CallFault => (CALL_FAULTS as readonly unknown[]).includes(value);

interface CallRule {
  method: string;
  remaining: number;
  fault: CallFault;
  permission?: string;
}
interface OperationRule {
  method: string;
  remaining: number;
  message: string;
  code?: number;
}

/** How an injected operation failure ends: its message and the HTTP status it carries (default 500). */
export interface OperationFailure {
  message: string;
  code?: number;
}
interface LatencyRule {
  method: string;
  ms: number;
}

/** Active rules and what fired, for the control API and test output. */
export interface FaultSnapshot {
  calls: CallRule[];
  operations: OperationRule[];
  latencies: LatencyRule[];
  fired: { method: string; fault: string }[];
}

const CONTROL_PREFIX = 'emulator.';

/** `*` = every Google method; `compute.routes.*` = a family; else the exact method id. */
export function methodMatches(pattern: string, methodId: string): boolean {
  if (methodId.startsWith(CONTROL_PREFIX)) return false;
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return methodId.startsWith(pattern.slice(0, -1));
  return pattern === methodId;
}

const MESSAGES: Record<429 | 500 | 503, string> = {
  429: 'Rate Limit Exceeded',
  500: 'Internal Error',
  503: 'The service is currently unavailable.',
};

/** `/compute/v1/projects/p/global/routes/r` → `projects/p/global/routes/r`: the resource Google's messages name. */
const resourceOf = (path: string) => path.replace(/^\/(?:compute|storage)\/v1\/|^\/v1\//, '').replace(/^\//, '');

/**
 * 403 as Google answers a caller without the permission. Compute Engine: `Required
 * 'compute.networks.get' permission for 'projects/p/global/networks/n'`, reason `forbidden`
 * (the googleapi errors Terraform and gcloud print, e.g. "Error 403: Required
 * 'compute.zones.get' permission for 'projects/…/zones/us-central1-a', forbidden"). The
 * IAM-checked APIs (Vertex AI, Workflows, Cloud Storage) answer `Permission '<p>' denied on
 * resource '<r>' (or it may not exist).` with status PERMISSION_DENIED
 * (https://cloud.google.com/iam/docs/troubleshooting-access). Without a permission named, the
 * google.rpc.Code PERMISSION_DENIED text: "The caller does not have permission"
 * (googleapis/google/rpc/code.proto).
 */
function permissionDenied(methodId: string, path: string, permission: string | undefined): HttpError {
  const resource = resourceOf(path);
  if (!permission)
    return new HttpError(403, 'The caller does not have permission (injected by the emulator)', 'forbidden');
  if (methodId.startsWith('compute.'))
    return new HttpError(403, `Required '${permission}' permission for '${resource}'`, 'forbidden');
  return new HttpError(
    403,
    `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`,
    'forbidden',
  );
}

/**
 * 404 as Google answers for a resource that is not there. Compute Engine: `The resource
 * '<path>' was not found`, reason `notFound` (the shape the emulator's own not-found uses);
 * elsewhere the google.rpc NOT_FOUND text "Requested entity was not found."
 */
function notFoundFault(methodId: string, path: string): HttpError {
  if (methodId.startsWith('compute.'))
    return new HttpError(404, `The resource '${resourceOf(path)}' was not found`, 'notFound');
  return new HttpError(404, 'Requested entity was not found.', 'notFound');
}

function requireCount(count: number): number {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`fault count must be a whole number ≥ 1, got ${count}`);
  return count;
}

export class Faults {
  private calls: CallRule[] = [];
  private operations: OperationRule[] = [];
  private latencies: LatencyRule[] = [];
  /** Faults that actually fired, for test output (kept across `clear()`). */
  readonly fired: { method: string; fault: string }[] = [];

  /** `timers`: the emulator's, so injected latency ends with the emulator like every other delay. */
  constructor(private readonly timers: Timers) {}

  /**
   * The next `count` calls matching `method` fail with `fault` before (or, lost-response, after)
   * taking effect. A 403 names `permission` the way Google does, when given.
   */
  failNext(method: string, count: number, fault: CallFault, options: { permission?: string } = {}): void {
    if (!isCallFault(fault))
      throw new RangeError(`unknown call fault ${JSON.stringify(fault)}: use one of ${CALL_FAULTS.join(', ')}`);
    if (options.permission !== undefined && (fault !== 403 || !/^[a-z]+(\.[A-Za-z]+){2,}$/.test(options.permission)))
      throw new RangeError('permission goes with fault 403 and is a permission name such as compute.routes.list');
    this.calls.push({
      method,
      remaining: requireCount(count),
      fault,
      ...(options.permission ? { permission: options.permission } : {}),
    });
  }

  /**
   * The next `count` operations started by `method` end DONE with an error and change nothing;
   * `code` is the HTTP status the failure carries (each surface reports it in Google's own codes).
   */
  failOperations(method: string, count: number, message = 'injected operation failure', code?: number): void {
    if (code !== undefined && !OPERATION_FAULT_CODES.includes(code as (typeof OPERATION_FAULT_CODES)[number])) {
      throw new RangeError(
        `operation fault code must be one of ${OPERATION_FAULT_CODES.join(', ')}, got ${JSON.stringify(code)}`,
      );
    }
    this.operations.push({ method, remaining: requireCount(count), message, ...(code !== undefined ? { code } : {}) });
  }

  /** Every call matching `method` waits `ms` before it is handled (rules add up), until `clear()`. */
  addLatency(method: string, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`latency must be a number of milliseconds ≥ 0, got ${ms}`);
    this.latencies.push({ method, ms });
  }

  clear(): void {
    this.calls = [];
    this.operations = [];
    this.latencies = [];
  }

  snapshot(): FaultSnapshot {
    const live = <T extends { remaining: number }>(rules: T[]) =>
      rules.filter((r) => r.remaining > 0).map((r) => ({ ...r }));
    return {
      calls: live(this.calls),
      operations: live(this.operations),
      latencies: this.latencies.map((l) => ({ ...l })),
      fired: [...this.fired],
    };
  }

  /** Router hook: delays, answers with an error or resets the connection before the handler runs. */
  readonly hook = async (methodId: string, req: Request, res: ServerResponse): Promise<'continue' | 'handled'> => {
    const delay = this.latencies.filter((l) => methodMatches(l.method, methodId)).reduce((sum, l) => sum + l.ms, 0);
    if (delay > 0) await this.timers.sleep(delay);
    const rule = this.calls.find((r) => r.remaining > 0 && methodMatches(r.method, methodId));
    if (!rule) return 'continue';
    rule.remaining -= 1;
    this.fired.push({ method: methodId, fault: String(rule.fault) });
    switch (rule.fault) {
      case 'reset':
        res.socket?.destroy();
        return 'handled';
      case 'lost-response':
        loseResponse(res);
        return 'continue';
      case 403:
        throw permissionDenied(methodId, req.path, rule.permission);
      case 404:
        throw notFoundFault(methodId, req.path);
      default:
        throw new HttpError(rule.fault, `${MESSAGES[rule.fault]} (injected by the emulator)`);
    }
  };

  /** Consumed when an operation starts: how it should end, if it is to fail. */
  takeOperationFailure(methodId: string): OperationFailure | undefined {
    const rule = this.operations.find((r) => r.remaining > 0 && methodMatches(r.method, methodId));
    if (!rule) return undefined;
    rule.remaining -= 1;
    this.fired.push({ method: methodId, fault: 'operation-error' });
    return { message: rule.message, ...(rule.code !== undefined ? { code: rule.code } : {}) };
  }
}

/** Lets the handler run, then resets the connection instead of sending its answer. */
function loseResponse(res: ServerResponse): void {
  res.writeHead = (() => res) as unknown as ServerResponse['writeHead'];
  res.end = ((..._args: unknown[]) => {
    res.socket?.destroy();
    return res;
  }) as ServerResponse['end'];
}
