/**
 * The emulator's own control API under `/_netreflex/v1/` — not a Google API. Tests in other
 * processes and `netreflex up` use it to inject faults, change timing, subscribe functions to
 * events and read call counts.
 */
import { badRequest } from './errors.js';
import type { Router } from './http.js';
import type { Emulator } from './server.js';
import type { CallFault } from './faults.js';
import type { EventFault, Subscription } from './events/router.js';
import type { Health } from './compute/migs.js';

type Body = Record<string, unknown>;

function addFault(emu: Emulator, body: Body): void {
  switch (body.kind) {
    case 'call':
      return emu.faults.failNext(String(body.method ?? '*'), Number(body.count ?? 1), body.fault as CallFault);
    case 'operation':
      return emu.faults.failOperations(String(body.method ?? '*'), Number(body.count ?? 1), body.message ? String(body.message) : undefined);
    case 'latency':
      return emu.faults.addLatency(String(body.method ?? '*'), Number(body.ms ?? 0));
    case 'event':
      return emu.events.injectFault(body.fault as EventFault);
    default:
      throw badRequest(`unknown fault kind '${String(body.kind)}': use call, operation, latency or event`);
  }
}

export function registerControl(router: Router, emu: Emulator): void {
  const base = '/_netreflex/v1';
  router.on('GET', `${base}/health`, 'netreflex.health', () => ({ ok: true }));
  router.on('GET', `${base}/collections/{collection}`, 'netreflex.collections.get', (r) => emu.store.list(decodeURIComponent(r.params.collection!)));
  router.on('POST', `${base}/faults`, 'netreflex.faults.add', (r) => {
    addFault(emu, (r.body ?? {}) as Body);
    return {};
  });
  router.on('DELETE', `${base}/faults`, 'netreflex.faults.clear', () => {
    emu.faults.clear();
    emu.events.clearFaults();
    return {};
  });
  router.on('PATCH', `${base}/settings`, 'netreflex.settings.patch', (r) => Object.assign(emu.settings, r.body ?? {}));
  router.on('GET', `${base}/subscriptions`, 'netreflex.subscriptions.list', () => emu.events.listSubscriptions());
  router.on('POST', `${base}/subscriptions`, 'netreflex.subscriptions.add', (r) => {
    emu.events.subscribe(r.body as Subscription);
    return r.body;
  });
  router.on('GET', `${base}/calls`, 'netreflex.calls.list', () => Object.fromEntries(emu.router.calls));
  router.on('GET', `${base}/deliveries`, 'netreflex.deliveries.list', () => emu.events.deliveries);
  router.on('POST', `${base}/projects/{project}/regions/{region}/instanceGroupManagers/{igm}/instances/{name}/health`, 'netreflex.migs.setHealth', (r) => {
    emu.migs.setHealth({ project: r.params.project!, region: r.params.region!, name: r.params.igm! }, r.params.name!, String((r.body as Body)?.health) as Health);
    return {};
  });
}
