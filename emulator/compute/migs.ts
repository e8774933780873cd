/**
 * Regional managed instance groups, with the lifecycle the NAT route reconciler must follow:
 * instances pass through CREATING/RECREATING/DELETING/RESTARTING/REFRESHING and PROVISIONING →
 * STAGING → RUNNING → VERIFYING before they are RUNNING/NONE/HEALTHY ("Verification happens every
 * time the instance is (re)created or restarted", ManagedInstance.CurrentAction.VERIFYING).
 *
 * Every VM runs a configuration (its template and the all-instances overrides it was built or last
 * updated with); a change of the group's configuration reaches it only as the update policy says
 * (mig-policy.ts): a PROACTIVE group rolls the change out on its own, an OPPORTUNISTIC one waits
 * until a VM is (re)created or `applyUpdatesToInstances` targets it. The API calls answer an
 * Operation that is DONE before the VMs are updated ("This operation is marked as DONE when the
 * group is patched even if the instances in the group are still in the process of being patched",
 * regionInstanceGroupManagers.patch reference); `status.isStable`, `status.versionTarget.isReached`
 * and `status.allInstancesConfig.effective` say when the rollout is over.
 *
 * What the MIG does to its VMs itself is audit-logged with the project number and the Google APIs
 * Service Agent (events/audit-log.ts); an autoheal is a system event, never delivered to Eventarc.
 */
import { badRequest, notFound } from '../errors.js';
import { collection, computeUrl, nextId, type Collection, type Resource, type Store } from '../store.js';
import { globalCol, regionCol, zoneCol, type ComputeContext, type ComputeVersion } from './context.js';
import { getResource } from './resources.js';
import { createInstanceResource, setInstanceStatus } from './instances.js';
import { lastSegment } from './validate.js';
import {
  batchSize,
  decide,
  effectivePolicy,
  moreDisruptive,
  neededAction,
  type Action,
  type InstanceConfigView,
  type UpdatePolicy,
} from './mig-policy.js';
import type { Initiator } from '../events/audit-log.js';
import type { Timer } from '../timers.js';
import type { InstanceGroupManager, InstanceProperties } from './types.js';

export const CURRENT_ACTIONS = [
  'NONE',
  'CREATING',
  'RECREATING',
  'DELETING',
  'VERIFYING',
  'ABANDONING',
  'REFRESHING',
  'RESTARTING',
  'STOPPING',
  'STARTING',
  'SUSPENDING',
  'RESUMING',
] as const;
export type CurrentAction = (typeof CURRENT_ACTIONS)[number];
export type Health = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN' | 'DRAINING' | 'TIMEOUT';

/** What a VM was built from: the template URL and the all-instances overrides at that time. */
export interface InstanceConfig {
  template: string;
  allInstances: { metadata: Record<string, string>; labels: Record<string, string> };
}

/**
 * A member of a group as the store keeps it, in the group's `managedInstances` collection (what
 * `listManagedInstances` shows is built from it): so the store's listeners, the control API and
 * every test see the group's members change like any other resource.
 */
export interface MemberRecord {
  name: string;
  zone: string;
  currentAction: CurrentAction;
  health: Health;
  config: InstanceConfig;
  /** Being substituted: still serving (NONE) until its replacement is up, never picked twice. */
  replacing?: boolean;
  /**
   * Kept stopped or suspended by the group (stopInstances/suspendInstances): outside targetSize,
   * counted in targetStoppedSize/targetSuspendedSize, never autohealed, until started or resumed.
   */
  standby?: 'STOPPED' | 'SUSPENDED';
  /** Which member this is: a member deleted and created again under its name is another one. */
  uid: string;
  /** Order of joining the group (the store lists by name). */
  seq: number;
}

type MemberState = Omit<MemberRecord, 'name' | 'zone' | 'uid' | 'seq'>;

/** The store collection of a group's members. */
export const membersCol = (ref: MigRef): Collection<MemberRecord> =>
  collection(`${regionCol(ref.project, ref.region, 'instanceGroupManagers')}/${ref.name}/managedInstances`);

let memberSeq = 0;

/**
 * A live handle on one member's record: reading a field reads the store; `transition` changes the
 * member as one store update, so no listener, list or view ever sees half a change (a new action
 * with the old health, a standby VM still HEALTHY). `chain` is the queue of the member's lifecycle
 * steps (work in flight, not state). Once the member left the group the handle keeps its last
 * state and a transition changes nothing in the store.
 */
export class Managed {
  chain: Promise<void> = Promise.resolve();
  private last: MemberRecord;

  constructor(
    private readonly store: Store,
    private readonly col: Collection<MemberRecord>,
    record: MemberRecord,
  ) {
    this.last = record;
  }

  get name(): string {
    return this.last.name;
  }
  get zone(): string {
    return this.last.zone;
  }
  get uid(): string {
    return this.last.uid;
  }
  get seq(): number {
    return this.last.seq;
  }
  get currentAction(): CurrentAction {
    return this.read().currentAction;
  }
  get health(): Health {
    return this.read().health;
  }
  get config(): InstanceConfig {
    return this.read().config;
  }
  get replacing(): boolean | undefined {
    return this.read().replacing;
  }
  get standby(): MemberRecord['standby'] {
    return this.read().standby;
  }

  /** Whether the store still holds this member (not one created again under its name). */
  get present(): boolean {
    return this.current() !== undefined;
  }

  /**
   * Moves the member to its next whole state: every field in `change` lands in one store update.
   * A field given as undefined leaves the record, as it would from the JSON the API shows.
   */
  transition(change: Partial<MemberState>): void {
    const apply = (r: MemberRecord): MemberRecord => {
      const next = { ...r, ...change };
      if (next.replacing === undefined) delete next.replacing;
      if (next.standby === undefined) delete next.standby;
      return next;
    };
    if (!this.current()) {
      this.last = apply(this.last);
      return;
    }
    this.last = this.store.update(this.col, this.last.name, apply);
  }

  private current(): MemberRecord | undefined {
    const r = this.store.get(this.col, this.last.name);
    return r?.uid === this.last.uid ? r : undefined;
  }

  private read(): MemberRecord {
    return (this.last = this.current() ?? this.last);
  }
}

export interface MigRef {
  project: string;
  region: string;
  name: string;
}

const key = (m: MigRef) => `${m.project}/${m.region}/${m.name}`;
const randomSuffix = () => Math.random().toString(36).slice(2, 6).padEnd(4, '0');
const MIG_INITIATOR: Initiator = { kind: 'mig' };
/** The actions during which the MIG itself stops or removes the VM (not a failure to autoheal). */
const MIG_DRIVEN: readonly CurrentAction[] = [
  'RECREATING',
  'DELETING',
  'RESTARTING',
  'ABANDONING',
  'CREATING',
  'STOPPING',
  'SUSPENDING',
  'STARTING',
  'RESUMING',
];
export type StandbyVerb = 'stop' | 'suspend' | 'start' | 'resume';
const leaving = (m: Managed) => m.currentAction === 'DELETING' || m.currentAction === 'ABANDONING';

export class Migs {
  /** Handles on the members' records (and their step queues), by collection/name. */
  private readonly handles = new Map<string, Managed>();
  private readonly healTimers = new Map<string, Timer>();
  private readonly rolling = new Map<string, Promise<void>>();
  private readonly rerun = new Set<string>();
  /**
   * API version the MIG's own calls are logged with. Google's docs state the version prefix but not
   * which one the MIG's internal calls use; `beta` lets tests prove consumers accept either.
   */
  auditVersion: ComputeVersion = 'v1';

  constructor(readonly ctx: ComputeContext) {
    ctx.store.onMutation((m) => {
      if (!m.collection.endsWith('/instances')) return;
      if (m.action === 'update' && (m.after?.status === 'TERMINATED' || m.after?.status === 'SUSPENDED'))
        this.memberStopped(m.after);
      if (m.action === 'update' && m.after?.status === 'RUNNING' && m.before?.status !== 'RUNNING')
        this.memberRunning(m.after);
      if (m.action === 'delete' && m.before) this.memberDeleted(m.before);
    });
  }

  // ── reading ──────────────────────────────────────────────────────────────────────────────

  mig(ref: MigRef): InstanceGroupManager {
    return getResource(this.ctx, regionCol(ref.project, ref.region, 'instanceGroupManagers'), ref.name);
  }

  list(ref: MigRef): Managed[] {
    this.mig(ref);
    return this.members(ref);
  }

  /** The group's members in the order they joined, each with one lasting handle. */
  private members(ref: MigRef): Managed[] {
    const col = membersCol(ref);
    return this.ctx.store
      .list(col)
      .map((r) => this.handle(col, r))
      .sort((a, b) => a.seq - b.seq);
  }

  private handle(col: Collection<MemberRecord>, record: MemberRecord): Managed {
    const id = `${col}/${record.name}`;
    let h = this.handles.get(id);
    if (!h || h.uid !== record.uid) this.handles.set(id, (h = new Managed(this.ctx.store, col, record)));
    return h;
  }

  /** A new member record in the group (joining last). */
  private join(ref: MigRef, state: Omit<MemberRecord, 'uid' | 'seq'>): Managed {
    const col = membersCol(ref);
    const record: MemberRecord = { ...state, uid: nextId(), seq: ++memberSeq };
    this.ctx.store.insert(col, record);
    return this.handle(col, record);
  }

  member(ref: MigRef, name: string): Managed {
    const m = this.list(ref).find((x) => x.name === name);
    if (!m)
      throw badRequest(
        `Invalid value for field 'instances': '${name}'. Instance is not a member of the managed instance group.`,
      );
    return m;
  }

  /** The group's intended configuration: its (single) version's template and allInstancesConfig. */
  target(ref: MigRef): InstanceConfig {
    const mig = this.mig(ref);
    const props = mig.allInstancesConfig?.properties;
    return {
      template: String(mig.versions?.[0]?.instanceTemplate ?? mig.instanceTemplate),
      allInstances: { metadata: { ...props?.metadata }, labels: { ...props?.labels } },
    };
  }

  policy(ref: MigRef): UpdatePolicy {
    const mig = this.mig(ref);
    return effectivePolicy(mig.updatePolicy, Number(mig.targetSize ?? 0), this.zones(ref).length);
  }

  private zones(ref: MigRef): string[] {
    return (this.mig(ref).distributionPolicy?.zones ?? []).map((z) => lastSegment(z.zone));
  }

  templateProps(project: string, template: string): InstanceProperties {
    return this.ctx.store.get(globalCol(project, 'instanceTemplates'), lastSegment(template))?.properties ?? {};
  }

  private configView(project: string, c: InstanceConfig): InstanceConfigView {
    return {
      template: c.template,
      properties: this.templateProps(project, c.template),
      allInstances: c.allInstances,
    };
  }

  /** The action a VM needs to run the group's configuration (NONE when it already does). */
  needed(ref: MigRef, m: Managed): Action {
    return neededAction(this.configView(ref.project, m.config), this.configView(ref.project, this.target(ref)));
  }

  // ── building VMs ─────────────────────────────────────────────────────────────────────────

  private pickZone(ref: MigRef, list: Managed[]): string {
    const zones = this.zones(ref);
    const count = (z: string) => list.filter((m) => m.zone === z).length;
    return zones.reduce((best, z) => (count(z) < count(best) ? z : best), zones[0] ?? `${ref.region}-a`);
  }

  private spec(ref: MigRef, name: string, zone: string, config: InstanceConfig) {
    const props = this.templateProps(ref.project, config.template);
    return {
      project: ref.project,
      zone,
      name,
      canIpForward: props.canIpForward ?? false,
      tags: props.tags?.items ?? [],
      machineType: props.machineType ?? 'e2-small',
      nics: props.networkInterfaces ?? [],
      metadata: withMetadata(props.metadata?.items ?? [], config.allInstances.metadata),
      labels: { ...props.labels, ...config.allInstances.labels },
      createdBy: String(this.mig(ref).selfLink),
    };
  }

  /** Creates the MIG's instances RUNNING and HEALTHY at once (seeding; no events). */
  seedInstances(ref: MigRef, names: string[]): void {
    for (const name of names) {
      const zone = this.pickZone(ref, this.members(ref));
      const config = this.target(ref);
      createInstanceResource(this.ctx, this.spec(ref, name, zone, config));
      setInstanceStatus(this.ctx, ref.project, zone, name, 'RUNNING');
      this.join(ref, { name, zone, currentAction: 'NONE', health: 'HEALTHY', config });
    }
  }

  // ── audit ────────────────────────────────────────────────────────────────────────────────

  private auditInstance(
    ref: MigRef,
    m: Managed,
    verb: string,
    phase: 'first' | 'last',
    operationId: string,
    instanceId: string,
    initiator: Initiator = MIG_INITIATOR,
  ): void {
    this.ctx.audit.write({
      project: ref.project,
      method: `compute.instances.${verb}`,
      version: this.auditVersion,
      path: `zones/${m.zone}/instances/${m.name}`,
      resource: { type: 'gce_instance', labels: { instance_id: instanceId, zone: m.zone } },
      operationId,
      phase,
      initiator,
    });
  }

  // ── instance lifecycle ───────────────────────────────────────────────────────────────────

  /** Runs `work` after whatever the instance is already doing (the MIG serializes per instance). */
  private enqueue(m: Managed, work: () => Promise<void>): Promise<void> {
    m.chain = m.chain.then(work).catch((err) => console.error('emulator: MIG action failed', err));
    return m.chain;
  }

  private async verify(ref: MigRef, m: Managed): Promise<void> {
    m.transition({ currentAction: 'VERIFYING', health: 'UNKNOWN' });
    await this.ctx.timers.sleep(this.ctx.settings.instanceStepMs);
    m.transition({ currentAction: 'NONE', health: 'HEALTHY' });
    this.kick(ref);
  }

  /** Builds the member's VM from `config` (by default the one it has) and verifies it. */
  private async createSteps(
    ref: MigRef,
    m: Managed,
    action: CurrentAction,
    audited: boolean,
    config: InstanceConfig = m.config,
  ): Promise<void> {
    const step = this.ctx.settings.instanceStepMs;
    const opId = `operation-${nextId()}`;
    m.transition({ currentAction: action, health: 'UNKNOWN', config });
    const inst = createInstanceResource(this.ctx, this.spec(ref, m.name, m.zone, m.config));
    if (audited) this.auditInstance(ref, m, 'insert', 'first', opId, String(inst.id));
    await this.ctx.timers.sleep(step);
    setInstanceStatus(this.ctx, ref.project, m.zone, m.name, 'STAGING');
    await this.ctx.timers.sleep(step);
    setInstanceStatus(this.ctx, ref.project, m.zone, m.name, 'RUNNING');
    if (audited) this.auditInstance(ref, m, 'insert', 'last', opId, String(inst.id));
    await this.verify(ref, m);
  }

  private async deleteSteps(ref: MigRef, m: Managed, action: CurrentAction, audited: boolean): Promise<void> {
    const col = zoneCol(ref.project, m.zone, 'instances');
    const inst = this.ctx.store.get(col, m.name);
    const opId = `operation-${nextId()}`;
    m.transition({ currentAction: action, health: 'DRAINING' });
    if (!inst) return;
    if (audited) this.auditInstance(ref, m, 'delete', 'first', opId, String(inst.id));
    setInstanceStatus(this.ctx, ref.project, m.zone, m.name, 'STOPPING');
    await this.ctx.timers.sleep(this.ctx.settings.instanceStepMs);
    this.ctx.store.remove(col, m.name);
    if (audited) this.auditInstance(ref, m, 'delete', 'last', opId, String(inst.id));
  }

  /** REFRESH: the VM keeps running and gets the new metadata and labels in place. */
  private refreshSteps(ref: MigRef, m: Managed, config: InstanceConfig): Promise<void> {
    return this.enqueue(m, async () => {
      m.transition({ currentAction: 'REFRESHING' });
      const icol = zoneCol(ref.project, m.zone, 'instances');
      const inst = this.ctx.store.get(icol, m.name);
      const opId = `operation-${nextId()}`;
      if (inst) this.auditInstance(ref, m, 'setMetadata', 'first', opId, String(inst.id));
      await this.ctx.timers.sleep(this.ctx.settings.instanceStepMs);
      if (this.ctx.store.has(icol, m.name)) {
        const spec = this.spec(ref, m.name, m.zone, config);
        this.ctx.store.update(icol, m.name, (i) => {
          i.metadata = { ...i.metadata, fingerprint: nextId().slice(-11), items: spec.metadata };
          i.labels = spec.labels;
        });
        if (inst) this.auditInstance(ref, m, 'setMetadata', 'last', opId, String(inst.id));
      }
      m.transition({ config, currentAction: 'NONE' });
      this.kick(ref);
    });
  }

  /** RESTART: stop and start the same VM (same id), which comes back with the new configuration. */
  private restartSteps(ref: MigRef, m: Managed, config: InstanceConfig): Promise<void> {
    return this.enqueue(m, async () => {
      const step = this.ctx.settings.instanceStepMs;
      const icol = zoneCol(ref.project, m.zone, 'instances');
      const inst = this.ctx.store.get(icol, m.name);
      m.transition({ currentAction: 'RESTARTING', health: 'UNKNOWN' });
      if (!inst) return;
      const [stopOp, startOp] = [`operation-${nextId()}`, `operation-${nextId()}`];
      this.auditInstance(ref, m, 'stop', 'first', stopOp, String(inst.id));
      setInstanceStatus(this.ctx, ref.project, m.zone, m.name, 'STOPPING');
      await this.ctx.timers.sleep(step);
      setInstanceStatus(this.ctx, ref.project, m.zone, m.name, 'TERMINATED');
      this.auditInstance(ref, m, 'stop', 'last', stopOp, String(inst.id));
      m.transition({ config });
      const spec = this.spec(ref, m.name, m.zone, config);
      if (this.ctx.store.has(icol, m.name))
        this.ctx.store.update(icol, m.name, (i) =>
          Object.assign(i, {
            machineType: computeUrl(`projects/${ref.project}/zones/${m.zone}/machineTypes/${spec.machineType}`),
            labels: spec.labels,
            metadata: { ...i.metadata, items: spec.metadata },
          }),
        );
      this.auditInstance(ref, m, 'start', 'first', startOp, String(inst.id));
      setInstanceStatus(this.ctx, ref.project, m.zone, m.name, 'STAGING');
      await this.ctx.timers.sleep(step);
      setInstanceStatus(this.ctx, ref.project, m.zone, m.name, 'RUNNING');
      this.auditInstance(ref, m, 'start', 'last', startOp, String(inst.id));
      await this.verify(ref, m);
    });
  }

  /**
   * Recreate keeps the name (delete, then create the same name: a new id) and builds the VM from
   * the group's current configuration — except an autoheal, which by default "recreates a VM using
   * the same instance configuration that was originally used to create the VM"
   * (https://cloud.google.com/compute/docs/instance-groups/update-on-repair).
   */
  recreate(ref: MigRef, names: string[], audited = true, config?: (m: Managed) => InstanceConfig): Promise<void>[] {
    const members = names.map((n) => this.member(ref, n));
    return members.map((m) => {
      m.transition({ currentAction: 'RECREATING' }); // queued: still serving until its turn
      return this.enqueue(m, async () => {
        await this.deleteSteps(ref, m, 'RECREATING', audited);
        await this.createSteps(ref, m, 'RECREATING', audited, config ? config(m) : this.target(ref));
      });
    });
  }

  /** A new member built from the group's configuration (resize, createInstances, a substitute). */
  private addMember(ref: MigRef, name?: string, zone?: string): Managed {
    const list = this.list(ref);
    const base = String(this.mig(ref).baseInstanceName ?? ref.name);
    const m = this.join(ref, {
      name: name ?? `${base}-${randomSuffix()}`,
      zone: zone ?? this.pickZone(ref, list),
      currentAction: 'CREATING',
      health: 'UNKNOWN',
      config: this.target(ref),
    });
    void this.enqueue(m, () => this.createSteps(ref, m, 'CREATING', true));
    return m;
  }

  private removeMember(ref: MigRef, m: Managed, action: 'DELETING' | 'ABANDONING' = 'DELETING'): Promise<void> {
    m.transition({ currentAction: action });
    return this.enqueue(m, async () => {
      if (action === 'DELETING') await this.deleteSteps(ref, m, 'DELETING', true);
      else await this.ctx.timers.sleep(this.ctx.settings.instanceStepMs);
      if (m.present) this.ctx.store.remove(membersCol(ref), m.name);
      this.handles.delete(`${membersCol(ref)}/${m.name}`);
      this.kick(ref);
    });
  }

  resize(ref: MigRef, size: number): void {
    const alive = () => this.list(ref).filter((m) => !leaving(m) && !m.standby);
    while (alive().length < size) this.addMember(ref);
    for (const m of alive().slice(size)) void this.removeMember(ref, m);
    this.setTargetSize(ref, size);
  }

  deleteInstances(ref: MigRef, names: string[]): void {
    const victims = names.map((n) => this.member(ref, n));
    for (const m of victims) void this.removeMember(ref, m);
    this.setTargetSize(ref);
  }

  /** `abandonInstances`: the VMs leave the group (and its targetSize) but keep running. */
  abandonInstances(ref: MigRef, names: string[]): void {
    const victims = names.map((n) => this.member(ref, n));
    for (const m of victims) void this.removeMember(ref, m, 'ABANDONING');
    this.setTargetSize(ref);
  }

  /** `createInstances`: VMs with the names asked for, from the group's configuration. */
  createInstances(ref: MigRef, names: string[]): void {
    for (const name of names) {
      const taken =
        this.list(ref).some((m) => m.name === name) ||
        this.ctx.store
          .collectionsMatching(/\/instances$/)
          .some((c) => c.startsWith(`projects/${ref.project}/`) && this.ctx.store.has(c, name));
      if (taken)
        throw badRequest(
          `Invalid value for field 'instances': '${name}'. An instance with this name already exists.`,
          'alreadyExists',
        );
    }
    for (const name of names) this.addMember(ref, name);
    this.setTargetSize(ref);
  }

  /**
   * stopInstances/suspendInstances and startInstances/resumeInstances (compute.proto
   * RegionInstanceGroupManagers): the group stops or suspends the named VMs itself (logged as
   * instances.stop/suspend by the Google APIs Service Agent, like every VM change the group makes),
   * moving them from targetSize to targetStoppedSize/targetSuspendedSize, and back; "you can only
   * specify instances that are running" (stop, suspend), "that are stopped" (start), "that are
   * suspended" (resume); a started or resumed VM is verified again before it counts as healthy.
   * Google's updater is not documented to roll a new configuration out to a standby VM: here it
   * waits until the VM runs again.
   */
  standby(ref: MigRef, names: string[], verb: StandbyVerb): void {
    const members = this.checkStandby(ref, names, verb);
    for (const m of members) {
      m.transition({
        standby: verb === 'stop' ? 'STOPPED' : verb === 'suspend' ? 'SUSPENDED' : undefined,
        currentAction: ({ stop: 'STOPPING', suspend: 'SUSPENDING', start: 'STARTING', resume: 'RESUMING' } as const)[
          verb
        ],
        health: 'UNKNOWN',
      });
      void this.enqueue(m, () => this.standbySteps(ref, m, verb));
    }
    this.setTargetSize(ref);
  }

  /** The members `names` if `verb` may act on each of them now; 400 resourceNotReady otherwise. */
  checkStandby(ref: MigRef, names: string[], verb: StandbyVerb): Managed[] {
    const members = names.map((n) => this.member(ref, n));
    const wants = { stop: undefined, suspend: undefined, start: 'STOPPED', resume: 'SUSPENDED' }[verb];
    for (const m of members) {
      const status = this.ctx.store.get(zoneCol(ref.project, m.zone, 'instances'), m.name)?.status;
      const ok =
        wants === undefined
          ? !m.standby && !leaving(m) && status === 'RUNNING'
          : m.standby === wants && m.currentAction === 'NONE';
      if (!ok)
        throw badRequest(
          `Invalid value for field 'instances': '${m.name}'. ${verb}Instances accepts only ${wants === undefined ? 'running' : wants.toLowerCase()} instances of the group; this one is ${String(status ?? 'gone')}${m.currentAction === 'NONE' ? '' : `, ${m.currentAction}`}.`,
          'resourceNotReady',
        );
    }
    return members;
  }

  private async standbySteps(ref: MigRef, m: Managed, verb: StandbyVerb): Promise<void> {
    const inst = this.ctx.store.get(zoneCol(ref.project, m.zone, 'instances'), m.name);
    if (!inst) return;
    const opId = `operation-${nextId()}`;
    const [during, after] = (
      {
        stop: ['STOPPING', 'TERMINATED'],
        suspend: ['SUSPENDING', 'SUSPENDED'],
        start: ['STAGING', 'RUNNING'],
        resume: ['STAGING', 'RUNNING'],
      } as const
    )[verb];
    this.auditInstance(ref, m, verb, 'first', opId, String(inst.id));
    setInstanceStatus(this.ctx, ref.project, m.zone, m.name, during);
    await this.ctx.timers.sleep(this.ctx.settings.instanceStepMs);
    setInstanceStatus(this.ctx, ref.project, m.zone, m.name, after);
    this.auditInstance(ref, m, verb, 'last', opId, String(inst.id));
    if (verb === 'start' || verb === 'resume') return this.verify(ref, m);
    m.transition({ currentAction: 'NONE' });
  }

  /** targetSize counts the members that stay (not standby, not leaving); standby ones have their own counts. */
  private setTargetSize(ref: MigRef, size?: number): void {
    const list = this.list(ref).filter((m) => !leaving(m));
    this.ctx.store.update(regionCol(ref.project, ref.region, 'instanceGroupManagers'), ref.name, (mig) => {
      mig.targetSize = size ?? list.filter((m) => !m.standby).length;
      const stopped = list.filter((m) => m.standby === 'STOPPED').length;
      const suspended = list.filter((m) => m.standby === 'SUSPENDED').length;
      if (stopped || mig.targetStoppedSize !== undefined) mig.targetStoppedSize = stopped;
      if (suspended || mig.targetSuspendedSize !== undefined) mig.targetSuspendedSize = suspended;
      mig.fingerprint = nextId().slice(-11);
    });
  }

  // ── the updater ──────────────────────────────────────────────────────────────────────────

  /** Applies `action` to one VM with the group's configuration; resolves when the VM is done. */
  perform(ref: MigRef, m: Managed, action: Action, policy: UpdatePolicy): Promise<void> {
    const config = this.target(ref);
    switch (action) {
      case 'NONE':
        return Promise.resolve();
      case 'REFRESH':
        return this.refreshSteps(ref, m, config);
      case 'RESTART':
        return this.restartSteps(ref, m, config);
      case 'REPLACE':
        return policy.replacementMethod === 'RECREATE'
          ? Promise.all(this.recreate(ref, [m.name])).then(() => undefined)
          : this.substitute(ref, m, policy);
    }
  }

  /** SUBSTITUTE: a new VM with a new name, then the old one goes (or the other way round without surge). */
  private async substitute(ref: MigRef, m: Managed, policy: UpdatePolicy): Promise<void> {
    if (policy.maxSurge > 0) {
      m.transition({ replacing: true }); // keeps serving until its substitute is up
      const fresh = this.addMember(ref, undefined, m.zone);
      await fresh.chain;
      await this.removeMember(ref, m);
      return;
    }
    m.transition({ replacing: true });
    await this.removeMember(ref, m);
    await this.addMember(ref, undefined, m.zone).chain;
  }

  /** What a PROACTIVE updater would do to each idle VM now. */
  private planned(ref: MigRef): { m: Managed; action: Action }[] {
    if (!this.exists(ref)) return [];
    const policy = this.policy(ref);
    if (policy.type !== 'PROACTIVE') return [];
    return this.list(ref)
      .filter((m) => m.currentAction === 'NONE' && !m.replacing && !m.standby)
      .map((m) => ({
        m,
        action: decide(this.needed(ref, m), policy.minimalAction, policy.mostDisruptiveAllowedAction),
      }))
      .filter((x): x is { m: Managed; action: Action } => x.action !== 'NONE' && x.action !== 'BLOCKED');
  }

  private exists(ref: MigRef): boolean {
    return this.ctx.store.has(regionCol(ref.project, ref.region, 'instanceGroupManagers'), ref.name);
  }

  /** Starts (or re-runs) the rollout of the group's configuration after any change. */
  kick(ref: MigRef): void {
    const k = key(ref);
    if (this.rolling.has(k)) {
      this.rerun.add(k);
      return;
    }
    const run = async () => {
      do {
        this.rerun.delete(k);
        await this.rolloutSteps(ref);
      } while (this.rerun.has(k));
    };
    this.rolling.set(
      k,
      run().finally(() => this.rolling.delete(k)),
    );
  }

  /** Batches of the most disruptive planned action, each as large as maxSurge/maxUnavailable allow. */
  private async rolloutSteps(ref: MigRef): Promise<void> {
    for (;;) {
      const todo = this.planned(ref);
      if (todo.length === 0) return;
      const policy = this.policy(ref);
      const action = todo.map((x) => x.action).reduce(moreDisruptive);
      const batch = todo.filter((x) => x.action === action).slice(0, batchSize(policy, action));
      if (batch.length === 0) return; // the disruption budget allows nothing: the rollout waits
      await Promise.all(batch.map((x) => this.perform(ref, x.m, x.action, policy)));
    }
  }

  // ── health and repair ────────────────────────────────────────────────────────────────────

  /** Marks an instance's health (what a failing health check would do); autoheal may follow. */
  setHealth(ref: MigRef, name: string, health: Health): void {
    const m = this.list(ref).find((x) => x.name === name);
    if (!m) throw notFound(`managed instance ${name}`);
    m.transition({ health });
    if (health === 'UNHEALTHY') this.scheduleHeal(ref, m);
  }

  private findMember(instance: Resource): { ref: MigRef; m: Managed } | undefined {
    const members = /^projects\/([^/]+)\/regions\/([^/]+)\/instanceGroupManagers\/([^/]+)\/managedInstances$/;
    for (const col of this.ctx.store.collectionsMatching(members)) {
      const [, project = '', region = '', name = ''] = members.exec(col) ?? [];
      const ref = { project, region, name };
      const m = this.members(ref).find(
        (x) => x.name === instance.name && instance.zone === computeUrl(`projects/${project}/zones/${x.zone}`),
      );
      if (m) return { ref, m };
    }
    return undefined;
  }

  /** A member stopped or suspended by someone else: unhealthy, and repaired when autohealing is on. */
  private memberStopped(instance: Resource): void {
    const found = this.findMember(instance);
    if (!found || found.m.standby || MIG_DRIVEN.includes(found.m.currentAction)) return;
    found.m.transition({ health: 'UNHEALTHY' });
    this.scheduleHeal(found.ref, found.m);
  }

  /**
   * A member started or resumed by someone else: the MIG verifies it again before it counts as
   * healthy ("Verification happens every time the instance is (re)created or restarted",
   * ManagedInstance.CurrentAction.VERIFYING).
   */
  private memberRunning(instance: Resource): void {
    const found = this.findMember(instance);
    if (!found || found.m.currentAction !== 'NONE') return;
    const { ref, m } = found;
    m.transition({ currentAction: 'VERIFYING', health: 'UNKNOWN' });
    void this.enqueue(m, () => this.verify(ref, m));
  }

  /**
   * A member deleted by someone else: the group creates it again to keep its target size
   * (https://cloud.google.com/compute/docs/instance-groups/add-remove-vms-in-mig — delete VMs through
   * the group, or it restores them).
   */
  private memberDeleted(instance: Resource): void {
    const found = this.findMember(instance);
    if (!found || MIG_DRIVEN.includes(found.m.currentAction)) return;
    const { ref, m } = found;
    m.transition({ currentAction: 'CREATING', health: 'UNKNOWN' });
    void this.enqueue(m, () => this.createSteps(ref, m, 'CREATING', true));
  }

  private scheduleHeal(ref: MigRef, m: Managed): void {
    const delay = this.ctx.settings.autohealDelayMs;
    const id = `${key(ref)}/${m.name}`;
    if (delay <= 0 || this.healTimers.has(id)) return;
    this.healTimers.set(
      id,
      this.ctx.timers.after(delay, () => {
        this.healTimers.delete(id);
        if (m.health !== 'HEALTHY' && !m.standby && m.present && this.exists(ref)) this.autoheal(ref, m);
      }),
    );
  }

  /** The repair: one System Event entry (written, never delivered), then a recreate with the VM's own configuration. */
  private autoheal(ref: MigRef, m: Managed): void {
    const inst = this.ctx.store.get(zoneCol(ref.project, m.zone, 'instances'), m.name);
    this.ctx.audit.write({
      project: ref.project,
      method: 'compute.instances.repair.recreateInstance',
      path: `zones/${m.zone}/instances/${m.name}`,
      resource: { type: 'gce_instance', labels: { instance_id: String(inst?.id ?? ''), zone: m.zone } },
      operationId: `repair-${this.ctx.timers.now()}-${nextId().slice(-8)}`,
      phase: 'single',
      initiator: { kind: 'system' },
    });
    this.recreate(ref, [m.name], false, (x) => x.config);
  }

  // ── views ────────────────────────────────────────────────────────────────────────────────

  /** The MIG resource as `get` shows it, with live `currentActions` and `status`. */
  view(ref: MigRef): Resource {
    const list = this.list(ref);
    const count = (a: CurrentAction) => list.filter((m) => m.currentAction === a).length;
    const currentActions = {
      abandoning: count('ABANDONING'),
      creating: count('CREATING'),
      creatingWithoutRetries: 0,
      deleting: count('DELETING'),
      none: count('NONE'),
      recreating: count('RECREATING'),
      refreshing: count('REFRESHING'),
      restarting: count('RESTARTING'),
      resuming: count('RESUMING'),
      starting: count('STARTING'),
      stopping: count('STOPPING'),
      suspending: count('SUSPENDING'),
      verifying: count('VERIFYING'),
    };
    const target = this.target(ref);
    const live = list.filter((m) => m.currentAction !== 'DELETING' && m.currentAction !== 'ABANDONING');
    const mig = this.mig(ref);
    return {
      ...mig,
      currentActions,
      status: {
        isStable:
          list.every((m) => m.currentAction === 'NONE') &&
          !this.rolling.has(key(ref)) &&
          this.planned(ref).length === 0,
        versionTarget: { isReached: live.every((m) => m.config.template === target.template) },
        ...(mig.allInstancesConfig
          ? {
              allInstancesConfig: {
                currentRevision: mig.status?.allInstancesConfig?.currentRevision ?? '',
                effective: live.every(
                  (m) => JSON.stringify(m.config.allInstances) === JSON.stringify(target.allInstances),
                ),
              },
            }
          : {}),
      },
    };
  }

  managedInstances(ref: MigRef) {
    const mig = this.mig(ref);
    const healthCheck = mig.autoHealingPolicies?.[0]?.healthCheck;
    return this.list(ref).map((m) => {
      const inst = this.ctx.store.get(zoneCol(ref.project, m.zone, 'instances'), m.name);
      return {
        instance: computeUrl(`${zoneCol(ref.project, m.zone, 'instances')}/${m.name}`),
        name: m.name,
        ...(inst ? { id: String(inst.id), instanceStatus: String(inst.status) } : {}),
        currentAction: m.currentAction,
        ...(m.currentAction === 'DELETING' || m.currentAction === 'ABANDONING'
          ? {}
          : { version: { instanceTemplate: m.config.template, name: '' } }),
        ...(healthCheck
          ? {
              instanceHealth: [{ healthCheck, detailedHealthState: inst?.status === 'RUNNING' ? m.health : 'UNKNOWN' }],
            }
          : {}),
        lastAttempt: {},
      };
    });
  }
}

/** Metadata items with `overrides` winning over same-named keys. */
export function withMetadata(
  items: readonly { key: string; value: string }[],
  overrides: Record<string, string>,
): { key: string; value: string }[] {
  const kept = items.filter((i) => !(i.key in overrides));
  return [...kept, ...Object.entries(overrides).map(([key, value]) => ({ key, value }))];
}
