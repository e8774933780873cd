/**
 * Regional managed instance groups, with the lifecycle the NAT route reconciler must follow:
 * instances pass through CREATING/RECREATING/DELETING and PROVISIONING → STAGING → RUNNING →
 * VERIFYING before they are RUNNING/NONE/HEALTHY. Recreate keeps the instance name (new id).
 * Every instance insert/delete the MIG performs writes the audit log that Eventarc would deliver;
 * autoheal does not (it is a system event in production), which is why a scheduled sync exists.
 */
import { badRequest, HttpError, notFound } from '../errors.js';
import type { Router } from '../http.js';
import { computePath, computeUrl, nextId, type Resource } from '../store.js';
import { globalCol, regionCol, zoneCol, type ComputeContext } from './context.js';
import { listResponse, paginate } from './list.js';
import { getResource } from './resources.js';
import { createInstanceResource, setInstanceStatus, type NicTemplate } from './instances.js';
import { lastSegment, requireInt, requireObject } from './validate.js';

export const CURRENT_ACTIONS = ['NONE', 'CREATING', 'RECREATING', 'DELETING', 'VERIFYING', 'ABANDONING', 'REFRESHING', 'RESTARTING'] as const;
export type CurrentAction = (typeof CURRENT_ACTIONS)[number];
export type Health = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN' | 'DRAINING' | 'TIMEOUT';

interface Managed {
  name: string;
  zone: string;
  currentAction: CurrentAction;
  health: Health;
  chain: Promise<void>;
}

interface MigRef {
  project: string;
  region: string;
  name: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const key = (m: MigRef) => `${m.project}/${m.region}/${m.name}`;
const randomSuffix = () => Math.random().toString(36).slice(2, 6).padEnd(4, '0');

export class Migs {
  private readonly managed = new Map<string, Managed[]>();
  private readonly healTimers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly ctx: ComputeContext) {
    ctx.store.onMutation((m) => {
      if (m.action === 'update' && m.collection.endsWith('/instances') && m.after?.status === 'TERMINATED') this.scheduleAutoheal(m.after);
    });
  }

  private mig(ref: MigRef): Resource {
    return getResource(this.ctx, regionCol(ref.project, ref.region, 'instanceGroupManagers'), ref.name);
  }

  list(ref: MigRef): Managed[] {
    this.mig(ref);
    return this.managed.get(key(ref)) ?? [];
  }

  /** Creates the MIG's instances RUNNING and HEALTHY at once (seeding; no events). */
  seedInstances(ref: MigRef, names: string[]): void {
    const list = this.managed.get(key(ref)) ?? [];
    this.managed.set(key(ref), list);
    for (const name of names) {
      const zone = this.pickZone(ref, list);
      createInstanceResource(this.ctx, this.spec(ref, name, zone));
      setInstanceStatus(this.ctx, ref.project, zone, name, 'RUNNING');
      list.push({ name, zone, currentAction: 'NONE', health: 'HEALTHY', chain: Promise.resolve() });
    }
  }

  private pickZone(ref: MigRef, list: Managed[]): string {
    const zones = ((this.mig(ref).distributionPolicy as { zones: { zone: string }[] }).zones ?? []).map((z) => lastSegment(z.zone));
    const count = (z: string) => list.filter((m) => m.zone === z).length;
    return zones.reduce((best, z) => (count(z) < count(best) ? z : best), zones[0] ?? `${ref.region}-a`);
  }

  private spec(ref: MigRef, name: string, zone: string) {
    const mig = this.mig(ref);
    const template = this.ctx.store.get(globalCol(ref.project, 'instanceTemplates'), lastSegment(String(mig.instanceTemplate)));
    const props = (template?.properties ?? {}) as { tags?: { items?: string[] }; canIpForward?: boolean; machineType?: string; networkInterfaces?: NicTemplate[]; metadata?: { items?: { key: string; value: string }[] } };
    return {
      project: ref.project,
      zone,
      name,
      canIpForward: props.canIpForward ?? false,
      tags: props.tags?.items ?? [],
      machineType: props.machineType ?? 'e2-small',
      nics: props.networkInterfaces ?? [],
      metadata: withMetadata(props.metadata?.items ?? [], allInstancesMetadata(mig)),
      createdBy: String(mig.selfLink),
    };
  }

  private audit(ref: MigRef, m: Managed, verb: 'insert' | 'delete', phase: 'first' | 'last', operationId: string, instanceId: string): void {
    this.ctx.audit.write({
      project: ref.project,
      methodName: `v1.compute.instances.${verb}`,
      resourceName: `projects/${ref.project}/zones/${m.zone}/instances/${m.name}`,
      resource: { type: 'gce_instance', labels: { instance_id: instanceId, zone: m.zone } },
      operationId,
      phase,
    });
  }

  /** Runs `work` after whatever the instance is already doing (the MIG serializes per instance). */
  private enqueue(m: Managed, work: () => Promise<void>): void {
    m.chain = m.chain.then(work).catch((err) => console.error('netreflex emulator: MIG action failed', err));
  }

  private async createSteps(ref: MigRef, m: Managed, action: CurrentAction, audited: boolean): Promise<void> {
    const step = this.ctx.settings.instanceStepMs;
    const opId = `operation-${nextId()}`;
    m.currentAction = action;
    m.health = 'UNKNOWN';
    const inst = createInstanceResource(this.ctx, this.spec(ref, m.name, m.zone));
    if (audited) this.audit(ref, m, 'insert', 'first', opId, String(inst.id));
    await sleep(step);
    setInstanceStatus(this.ctx, ref.project, m.zone, m.name, 'STAGING');
    await sleep(step);
    setInstanceStatus(this.ctx, ref.project, m.zone, m.name, 'RUNNING');
    m.currentAction = 'VERIFYING';
    if (audited) this.audit(ref, m, 'insert', 'last', opId, String(inst.id));
    await sleep(step);
    m.currentAction = 'NONE';
    m.health = 'HEALTHY';
  }

  private async deleteSteps(ref: MigRef, m: Managed, action: CurrentAction, audited: boolean): Promise<void> {
    const col = zoneCol(ref.project, m.zone, 'instances');
    const inst = this.ctx.store.get(col, m.name);
    const opId = `operation-${nextId()}`;
    m.currentAction = action;
    m.health = 'DRAINING';
    if (!inst) return;
    if (audited) this.audit(ref, m, 'delete', 'first', opId, String(inst.id));
    setInstanceStatus(this.ctx, ref.project, m.zone, m.name, 'STOPPING');
    await sleep(this.ctx.settings.instanceStepMs);
    this.ctx.store.remove(col, m.name);
    if (audited) this.audit(ref, m, 'delete', 'last', opId, String(inst.id));
  }

  /** Recreate keeps the name: delete, then create the same name again. */
  recreate(ref: MigRef, names: string[], audited = true): void {
    const list = this.list(ref);
    for (const name of names) {
      const m = list.find((x) => x.name === name);
      if (!m) throw badRequest(`Invalid value for field 'instances': '${name}'. Instance is not a member of the managed instance group.`);
      m.currentAction = 'RECREATING';
      this.enqueue(m, async () => {
        await this.deleteSteps(ref, m, 'RECREATING', audited);
        await this.createSteps(ref, m, 'RECREATING', audited);
      });
    }
  }

  resize(ref: MigRef, size: number): void {
    const list = this.list(ref);
    while (list.length < size) {
      const base = String(this.mig(ref).baseInstanceName ?? ref.name);
      const m: Managed = { name: `${base}-${randomSuffix()}`, zone: this.pickZone(ref, list), currentAction: 'CREATING', health: 'UNKNOWN', chain: Promise.resolve() };
      list.push(m);
      this.enqueue(m, () => this.createSteps(ref, m, 'CREATING', true));
    }
    const victims = list.slice(size).filter((m) => m.currentAction !== 'DELETING');
    for (const m of victims) this.remove(ref, m);
    this.setTargetSize(ref, size);
  }

  deleteInstances(ref: MigRef, names: string[]): void {
    const list = this.list(ref);
    const victims = names.map((n) => list.find((m) => m.name === n) ?? badRequestThrow(n));
    for (const m of victims) this.remove(ref, m);
    this.setTargetSize(ref, list.filter((m) => m.currentAction !== 'DELETING').length);
  }

  private remove(ref: MigRef, m: Managed): void {
    m.currentAction = 'DELETING';
    this.enqueue(m, async () => {
      await this.deleteSteps(ref, m, 'DELETING', true);
      const list = this.managed.get(key(ref)) ?? [];
      list.splice(list.indexOf(m), 1);
    });
  }

  /** Marks an instance's health (what a failing health check would do); autoheal may follow. */
  setHealth(ref: MigRef, name: string, health: Health): void {
    const m = this.list(ref).find((x) => x.name === name);
    if (!m) throw notFound(`managed instance ${name}`);
    m.health = health;
    if (health === 'UNHEALTHY') this.scheduleHeal(ref, m);
  }

  private scheduleAutoheal(instance: Resource): void {
    for (const [k, list] of this.managed) {
      const m = list.find((x) => x.name === instance.name && instance.zone === computeUrl(`projects/${k.split('/')[0]}/zones/${x.zone}`));
      if (!m) continue;
      const [project, region, name] = k.split('/') as [string, string, string];
      m.health = 'UNHEALTHY';
      this.scheduleHeal({ project, region, name }, m);
    }
  }

  private scheduleHeal(ref: MigRef, m: Managed): void {
    const delay = this.ctx.settings.autohealDelayMs;
    if (delay <= 0 || this.healTimers.has(`${key(ref)}/${m.name}`)) return;
    this.healTimers.set(`${key(ref)}/${m.name}`, this.ctx.timers.after(delay, () => {
      this.healTimers.delete(`${key(ref)}/${m.name}`);
      if (m.health !== 'HEALTHY') this.recreate(ref, [m.name], false);
    }));
  }

  private setTargetSize(ref: MigRef, size: number): void {
    this.ctx.store.update(regionCol(ref.project, ref.region, 'instanceGroupManagers'), ref.name, (mig) => {
      mig.targetSize = size;
      mig.fingerprint = nextId().slice(-11);
    });
  }

  /** The MIG resource as `get` shows it, with live `currentActions` and `status.isStable`. */
  view(ref: MigRef): Resource {
    const list = this.list(ref);
    const count = (a: CurrentAction) => list.filter((m) => m.currentAction === a).length;
    const currentActions = { abandoning: 0, creating: count('CREATING'), creatingWithoutRetries: 0, deleting: count('DELETING'), none: count('NONE'), recreating: count('RECREATING'), refreshing: 0, restarting: 0, resuming: 0, starting: 0, stopping: 0, suspending: 0, verifying: count('VERIFYING') };
    return { ...this.mig(ref), currentActions, status: { isStable: list.every((m) => m.currentAction === 'NONE'), versionTarget: { isReached: true } } };
  }

  managedInstances(ref: MigRef) {
    const mig = this.mig(ref);
    const healthCheck = (mig.autoHealingPolicies as { healthCheck?: string }[] | undefined)?.[0]?.healthCheck;
    return this.list(ref).map((m) => {
      const inst = this.ctx.store.get(zoneCol(ref.project, m.zone, 'instances'), m.name);
      return {
        instance: computeUrl(`${zoneCol(ref.project, m.zone, 'instances')}/${m.name}`),
        name: m.name,
        ...(inst ? { id: String(inst.id), instanceStatus: String(inst.status) } : {}),
        currentAction: m.currentAction,
        version: { instanceTemplate: mig.instanceTemplate, name: '0' },
        ...(healthCheck ? { instanceHealth: [{ healthCheck, detailedHealthState: inst?.status === 'RUNNING' ? m.health : 'UNKNOWN' }] } : {}),
        lastAttempt: {},
      };
    });
  }

  register(router: Router): void {
    const base = '/compute/v1/projects/{project}/regions/{region}/instanceGroupManagers';
    const ref = (p: Record<string, string>): MigRef => ({ project: p.project!, region: p.region!, name: p.igm! });
    router.on('GET', base, 'compute.regionInstanceGroupManagers.list', (r) => {
      const col = regionCol(r.params.project!, r.params.region!, 'instanceGroupManagers');
      return listResponse('compute#regionInstanceGroupManagerList', col, this.ctx.store.list(col).map((m) => this.view({ project: r.params.project!, region: r.params.region!, name: m.name })), r.query);
    });
    router.on('GET', `${base}/{igm}`, 'compute.regionInstanceGroupManagers.get', (r) => this.view(ref(r.params)));
    router.on('POST', `${base}/{igm}/listManagedInstances`, 'compute.regionInstanceGroupManagers.listManagedInstances', (r) => {
      const page = paginate(this.managedInstances(ref(r.params)), { maxResults: r.query.get('maxResults'), pageToken: r.query.get('pageToken') });
      return { managedInstances: page.items, ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
    });
    router.on('POST', `${base}/{igm}/resize`, 'compute.regionInstanceGroupManagers.resize', (r) => {
      const size = requireInt(r.query.get('size') ?? undefined, 'size', 0, 1000);
      return this.operation(ref(r.params), 'resize', () => this.resize(ref(r.params), size));
    });
    router.on('POST', `${base}/{igm}/recreateInstances`, 'compute.regionInstanceGroupManagers.recreateInstances', (r) => {
      const names = instanceNames(r.body);
      this.recreate(ref(r.params), names);
      return this.operation(ref(r.params), 'recreateInstances', () => undefined);
    });
    router.on('PATCH', `${base}/{igm}`, 'compute.regionInstanceGroupManagers.patch', (r) => {
      const changes = patchChanges(r.body);
      const seen = checkFingerprint(this.mig(ref(r.params)), (r.body as { fingerprint?: unknown }).fingerprint);
      return this.operation(ref(r.params), 'patch', () => {
        // A patch accepted on a fingerprint another write has since replaced fails when it lands.
        checkFingerprint(this.mig(ref(r.params)), seen);
        this.applyPatch(ref(r.params), changes);
      });
    });
    registerInstanceTemplates(router, this.ctx);
    router.on('POST', `${base}/{igm}/deleteInstances`, 'compute.regionInstanceGroupManagers.deleteInstances', (r) => {
      const names = instanceNames(r.body);
      this.deleteInstances(ref(r.params), names);
      return this.operation(ref(r.params), 'deleteInstances', () => undefined);
    });
  }

  /**
   * PATCH of the MIG: `allInstancesConfig` metadata and labels merge into the MIG's (a `null`
   * value removes a key) and reach every existing instance at once, as the MIG's updater applies
   * all-instances config in place without recreating (production shows REFRESHING for a moment;
   * here the refresh is instantaneous, so route reconcilers never see the NAT VMs busy).
   * New instances get it through `spec`.
   */
  private applyPatch(ref: MigRef, changes: MigPatch): void {
    const col = regionCol(ref.project, ref.region, 'instanceGroupManagers');
    const mig = this.ctx.store.update(col, ref.name, (m) => {
      if (changes.description !== undefined) m.description = changes.description;
      if (changes.allInstancesConfig) {
        const current = (m.allInstancesConfig as { properties?: Record<string, Record<string, string>> } | undefined)?.properties ?? {};
        const properties = { ...current, metadata: mergeMap(current.metadata, changes.allInstancesConfig.metadata), labels: mergeMap(current.labels, changes.allInstancesConfig.labels) };
        m.allInstancesConfig = { properties };
        m.status = { ...(m.status as object | undefined), allInstancesConfig: { effective: true, currentRevision: nextId().slice(-8) } };
      }
      m.fingerprint = nextId().slice(-11);
    });
    if (!changes.allInstancesConfig) return;
    for (const m of this.list(ref)) {
      const icol = zoneCol(ref.project, m.zone, 'instances');
      if (!this.ctx.store.has(icol, m.name)) continue;
      this.ctx.store.update(icol, m.name, (inst) => {
        const md = inst.metadata as { items?: { key: string; value: string }[] };
        inst.metadata = { ...md, fingerprint: nextId().slice(-11), items: withMetadata(md.items ?? [], allInstancesMetadata(mig), changes.allInstancesConfig?.metadata) };
      });
    }
  }

  /** A region operation for a MIG API call, with its own first/last audit entries. */
  private operation(ref: MigRef, verb: string, act: () => void): Resource {
    const mig = this.mig(ref);
    const resourceName = `projects/${ref.project}/regions/${ref.region}/instanceGroupManagers/${ref.name}`;
    const opId = `operation-${nextId()}`;
    const write = (phase: 'first' | 'last') =>
      this.ctx.audit.write({ project: ref.project, methodName: `v1.compute.regionInstanceGroupManagers.${verb}`, resourceName, resource: { type: 'gce_instance_group_manager', labels: { instance_group_manager_id: String(mig.id), instance_group_manager_name: ref.name, location: ref.region } }, operationId: opId, phase, principal: 'netreflex-operator@local' });
    write('first');
    return this.ctx.operations.start({
      project: ref.project,
      scope: { kind: 'region', region: ref.region },
      methodId: `compute.regionInstanceGroupManagers.${verb}`,
      operationType: verb,
      targetLink: String(mig.selfLink),
      apply: () => {
        act();
        write('last');
      },
    });
  }
}

function badRequestThrow(name: string): never {
  throw badRequest(`Invalid value for field 'instances': '${name}'. Instance is not a member of the managed instance group.`);
}

function instanceNames(body: unknown): string[] {
  const instances = requireObject(body, 'request').instances;
  if (!Array.isArray(instances) || instances.length === 0) throw badRequest(`Required field 'instances' not specified`, 'required');
  return instances.map((i) => lastSegment(computePath(String(i))));
}

/** The fields of a MIG PATCH the local Compute applies. */
interface MigPatch {
  description?: string;
  allInstancesConfig?: { metadata?: Record<string, string | null>; labels?: Record<string, string | null> };
}

function stringMap(value: unknown, field: string): Record<string, string | null> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest(`Invalid value for field '${field}': must be a map of strings.`);
  for (const [k, v] of Object.entries(value)) if (v !== null && typeof v !== 'string') throw badRequest(`Invalid value for field '${field}.${k}': must be a string.`);
  return value as Record<string, string | null>;
}

function patchChanges(body: unknown): MigPatch {
  const r = requireObject(body, 'instanceGroupManagerResource');
  const all = r.allInstancesConfig === undefined ? undefined : requireObject(r.allInstancesConfig, 'allInstancesConfig');
  const props = all?.properties === undefined ? undefined : requireObject(all.properties, 'allInstancesConfig.properties');
  return {
    ...(typeof r.description === 'string' ? { description: r.description } : {}),
    ...(all ? { allInstancesConfig: { metadata: stringMap(props?.metadata, 'allInstancesConfig.properties.metadata'), labels: stringMap(props?.labels, 'allInstancesConfig.properties.labels') } } : {}),
  };
}

/** JSON merge patch of a string map: keys set, `null` removes. */
function mergeMap(current: Record<string, string> | undefined, patch: Record<string, string | null> | undefined): Record<string, string> {
  const out = { ...current };
  for (const [k, v] of Object.entries(patch ?? {})) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

function allInstancesMetadata(mig: Resource): Record<string, string> {
  return (mig.allInstancesConfig as { properties?: { metadata?: Record<string, string> } } | undefined)?.properties?.metadata ?? {};
}

/** Metadata items with `overrides` winning over same-named keys; `removed` keys (null) dropped. */
function withMetadata(items: readonly { key: string; value: string }[], overrides: Record<string, string>, removed: Record<string, string | null> = {}): { key: string; value: string }[] {
  const gone = new Set(Object.entries(removed).filter(([, v]) => v === null).map(([k]) => k));
  const kept = items.filter((i) => !(i.key in overrides) && !gone.has(i.key));
  return [...kept, ...Object.entries(overrides).map(([key, value]) => ({ key, value }))];
}

/** Instance templates (global, read-only here): what the MIG builds its instances from. */
export function registerInstanceTemplates(router: Router, ctx: ComputeContext): void {
  const base = '/compute/v1/projects/{project}/global/instanceTemplates';
  router.on('GET', base, 'compute.instanceTemplates.list', (r) => {
    const col = globalCol(r.params.project!, 'instanceTemplates');
    return listResponse('compute#instanceTemplateList', col, ctx.store.list(col), r.query);
  });
  router.on('GET', `${base}/{template}`, 'compute.instanceTemplates.get', (r) => getResource(ctx, globalCol(r.params.project!, 'instanceTemplates'), r.params.template!));
}

/**
 * `InstanceGroupManager.fingerprint` (compute.proto): "An up-to-date fingerprint must be provided in
 * order to update the InstanceGroupManager, otherwise the request will fail with error 412
 * conditionNotMet." The local Compute holds callers to that sentence for a missing fingerprint too.
 * Google itself may be laxer there — gcloud's own `all-instances-config update`
 * (googlecloudsdk/command_lib/compute/instance_groups/managed/all_instances_config/update.py)
 * patches without one — so a caller that omits it is refused here rather than racing silently.
 */
function checkFingerprint(mig: Resource, given: unknown): string {
  if (given === undefined || given === null || given === '') {
    throw new HttpError(412, `Required field 'resource.fingerprint' not specified: an up-to-date fingerprint must be provided to update instance group manager '${String(mig.name)}'; get the group and send its fingerprint.`, 'conditionNotMet');
  }
  if (given !== mig.fingerprint) {
    throw new HttpError(412, `Invalid value for field 'resource.fingerprint': '${String(given)}'. Supplied fingerprint does not match current fingerprint of instance group manager '${String(mig.name)}'; get the group again and retry.`, 'conditionNotMet');
  }
  return given as string;
}
