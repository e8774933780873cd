/**
 * The emulator's own control API under `/_emulator/v1/` — not a Google API. Tests in other
 * processes and the local stack use it to inject faults, change timing, subscribe functions to
 * events and read call counts. Its own methods (`emulator.*`) are never faulted. Bad requests
 * answer 400 with what to send instead, like the Google surfaces do.
 */
import { badRequest, notFound } from './errors.js';
import type { Router } from './http.js';
import type { Emulator } from './server.js';
import { CALL_FAULTS, isCallFault } from './faults.js';
import { eventFaultProblem, type EventFault, type Subscription } from './events/router.js';
import type { Health } from './compute/migs.js';
import { COUNT_SETTINGS, type Settings } from './settings.js';

type Body = Record<string, unknown>;

const HEALTH_STATES: readonly Health[] = ['HEALTHY', 'UNHEALTHY', 'UNKNOWN', 'DRAINING', 'TIMEOUT'];
const isHealth = (value: unknown): value is Health => HEALTH_STATES.some((h) => h === value);

/** Runs a fault setter, turning its RangeError (bad count, unknown fault) into a 400. */
function guarded(set: () => void): void {
  try {
    set();
  } catch (err) {
    if (err instanceof RangeError) throw badRequest(err.message);
    throw err;
  }
}

function addFault(emu: Emulator, body: Body): void {
  const method = String(body.method ?? '*');
  const count = Number(body.count ?? 1);
  switch (body.kind) {
    case 'call': {
      const { fault, permission } = body;
      if (!isCallFault(fault))
        throw badRequest(`call fault must be one of ${CALL_FAULTS.map((f) => JSON.stringify(f)).join(', ')}`);
      if (permission !== undefined && typeof permission !== 'string')
        throw badRequest('permission must be a string such as "compute.routes.list"');
      return guarded(() => emu.faults.failNext(method, count, fault, permission === undefined ? {} : { permission }));
    }
    case 'operation':
      return guarded(() =>
        emu.faults.failOperations(
          method,
          count,
          body.message ? String(body.message) : undefined,
          body.code === undefined ? undefined : Number(body.code),
        ),
      );
    case 'latency':
      return guarded(() => emu.faults.addLatency(method, Number(body.ms ?? 0)));
    case 'event': {
      const problem = eventFaultProblem(body.fault as Partial<EventFault> | undefined);
      if (problem) throw badRequest(problem);
      return emu.events.injectFault(body.fault as EventFault);
    }
    default:
      throw badRequest(`unknown fault kind '${String(body.kind)}': use call, operation, latency or event`);
  }
}

/** Only known settings: timings in milliseconds ≥ 0, quota limits as whole counts ≥ 0. */
function patchSettings(settings: Settings, body: unknown): Settings {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw badRequest('settings patch must be a JSON object');
  const entries = Object.entries(body as Body);
  for (const [key, value] of entries) {
    if (!(key in settings))
      throw badRequest(`unknown setting '${key}': use one of ${Object.keys(settings).join(', ')}`);
    const count = COUNT_SETTINGS.includes(key as keyof Settings);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (count && !Number.isInteger(value)))
      throw badRequest(
        `setting '${key}' must be ${count ? 'a whole number ≥ 0 (a quota limit)' : 'a number of milliseconds ≥ 0'}`,
      );
  }
  return Object.assign(settings, Object.fromEntries(entries));
}

function requireSubscription(body: unknown): Subscription {
  const s = (body ?? {}) as Partial<Subscription>;
  if (typeof s.id !== 'string' || typeof s.type !== 'string' || typeof s.url !== 'string')
    throw badRequest('a subscription needs string fields id, type and url (filters and attempts are optional)');
  return s as Subscription;
}

export function registerControl(router: Router, emu: Emulator): void {
  const base = '/_emulator/v1';
  router.on('GET', `${base}/health`, 'emulator.health', () => ({ ok: true }));
  router.on('GET', `${base}/collections/{collection}`, 'emulator.collections.get', (r) =>
    emu.store.list(decodeURIComponent(r.params.collection!)),
  );
  // Collection paths contain slashes, which a path segment cannot carry: `?path=projects/p/global/routes`.
  router.on('GET', `${base}/collections`, 'emulator.collections.query', (r) => {
    const path = r.query.get('path');
    if (!path)
      throw badRequest('give the collection as ?path=projects/<project>/global/routes (a store collection path)');
    return emu.store.list(path);
  });
  router.on('GET', `${base}/faults`, 'emulator.faults.list', () => ({
    ...emu.faults.snapshot(),
    events: emu.events.activeFaults(),
  }));
  router.on('POST', `${base}/faults`, 'emulator.faults.add', (r) => {
    addFault(emu, (r.body ?? {}) as Body);
    return {};
  });
  router.on('DELETE', `${base}/faults`, 'emulator.faults.clear', () => {
    emu.faults.clear();
    emu.events.clearFaults();
    return {};
  });
  router.on('GET', `${base}/settings`, 'emulator.settings.get', () => emu.settings);
  router.on('PATCH', `${base}/settings`, 'emulator.settings.patch', (r) => patchSettings(emu.settings, r.body));
  router.on('GET', `${base}/subscriptions`, 'emulator.subscriptions.list', () => emu.events.listSubscriptions());
  router.on('POST', `${base}/subscriptions`, 'emulator.subscriptions.add', (r) => {
    const sub = requireSubscription(r.body);
    emu.events.subscribe(sub);
    return sub;
  });
  router.on('DELETE', `${base}/subscriptions/{id}`, 'emulator.subscriptions.delete', (r) => {
    if (!emu.events.listSubscriptions().some((s) => s.id === r.params.id))
      throw notFound(`subscription ${r.params.id}`);
    emu.events.unsubscribe(r.params.id!);
    return {};
  });
  router.on('GET', `${base}/calls`, 'emulator.calls.list', () => Object.fromEntries(emu.router.calls));
  router.on('GET', `${base}/deliveries`, 'emulator.deliveries.list', () => emu.events.deliveries);
  router.on(
    'POST',
    `${base}/projects/{project}/regions/{region}/instanceGroupManagers/{igm}/instances/{name}/health`,
    'emulator.migs.setHealth',
    (r) => {
      const health = (r.body as Body | undefined)?.health;
      if (!isHealth(health)) throw badRequest(`health must be one of ${HEALTH_STATES.join(', ')}`);
      emu.migs.setHealth(
        { project: r.params.project!, region: r.params.region!, name: r.params.igm! },
        r.params.name!,
        health,
      );
      return {};
    },
  );
}
