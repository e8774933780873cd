/**
 * Fault injection for tests, one interface two ways: in process on an `Emulator` object, or over
 * the control API (`/_emulator/v1/`) of a local Google Cloud running elsewhere (`npm start`,
 * another test process). Scenario tests are written against `FaultControl` and do not care which.
 */
import type { Emulator } from '../../emulator/server.js';
import type { CallFault, FaultSnapshot } from '../../emulator/faults.js';
import type { EventFault, EventFaultScope } from '../../emulator/events/router.js';
import type { Settings } from '../../emulator/settings.js';

export interface FaultControl {
  /** The next `count` calls of `method` (`compute.routes.insert`, `compute.routes.*`, `*`) fail with `fault` (a 403 may name `permission`). */
  failNext(method: string, count: number, fault: CallFault, options?: { permission?: string }): Promise<void>;
  /** The next `count` operations started by `method` end DONE with an error and change nothing. */
  failOperations(method: string, count: number, message?: string): Promise<void>;
  addLatency(method: string, ms: number): Promise<void>;
  eventFault(fault: EventFault): Promise<void>;
  /** Every matching delivery is dropped until `clear()`: Eventarc (or the trigger) is down. */
  eventSourceDown(scope?: EventFaultScope): Promise<void>;
  /** Removes every call, operation, latency and event fault. */
  clear(): Promise<void>;
  settings(patch: Partial<Settings>): Promise<Settings>;
  /** Calls per Google method id since the emulator started. */
  calls(): Promise<Record<string, number>>;
  snapshot(): Promise<FaultSnapshot>;
}

export function inProcessFaults(emu: Emulator): FaultControl {
  return {
    failNext: async (method, count, fault, options) => emu.faults.failNext(method, count, fault, options),
    failOperations: async (method, count, message) => emu.faults.failOperations(method, count, message),
    addLatency: async (method, ms) => emu.faults.addLatency(method, ms),
    eventFault: async (fault) => emu.events.injectFault(fault),
    eventSourceDown: async (scope = {}) => emu.events.injectFault({ kind: 'drop', ...scope }),
    clear: async () => {
      emu.faults.clear();
      emu.events.clearFaults();
    },
    settings: async (patch) => Object.assign(emu.settings, patch),
    calls: async () => Object.fromEntries(emu.router.calls),
    snapshot: async () => emu.faults.snapshot(),
  };
}

/** The same control over HTTP; `baseUrl` is the emulator's URL (`http://127.0.0.1:8090`). */
export function controlFaults(baseUrl: string): FaultControl {
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${baseUrl.replace(/\/$/, '')}/_emulator/v1${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`control API ${method} ${path} answered ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    failNext: (method, count, fault, options) =>
      api('POST', '/faults', { kind: 'call', method, count, fault, ...options }),
    failOperations: (method, count, message) => api('POST', '/faults', { kind: 'operation', method, count, message }),
    addLatency: (method, ms) => api('POST', '/faults', { kind: 'latency', method, ms }),
    eventFault: (fault) => api('POST', '/faults', { kind: 'event', fault }),
    eventSourceDown: (scope = {}) => api('POST', '/faults', { kind: 'event', fault: { kind: 'drop', ...scope } }),
    clear: () => api('DELETE', '/faults'),
    settings: (patch) => api('PATCH', '/settings', patch),
    calls: () => api('GET', '/calls'),
    snapshot: () => api('GET', '/faults'),
  };
}

export const ROUTE_MUTATIONS = ['compute.routes.insert', 'compute.routes.delete'] as const;

/**
 * Counts calls of `methods` from now on: `const since = await callCounter(f); … await since()`.
 * Scenario tests bound the number of mutating calls a storm or a fault may cost.
 */
export async function callCounter(
  control: FaultControl,
  methods: readonly string[] = ROUTE_MUTATIONS,
): Promise<() => Promise<number>> {
  const total = (calls: Record<string, number>) => methods.reduce((sum, m) => sum + (calls[m] ?? 0), 0);
  const before = total(await control.calls());
  return async () => total(await control.calls()) - before;
}
