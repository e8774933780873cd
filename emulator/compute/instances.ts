/**
 * Zonal VM instances. The NAT VMs are created and deleted by their MIG (see migs.ts); people and
 * tests can also stop, start, reset, suspend, resume or delete one — what a MIG then does about it
 * is the MIG's business.
 */
import type { Request, Router } from '../http.js';
import { badRequest } from '../errors.js';
import { computeUrl, nextId, type Resource } from '../store.js';
import {
  COMPUTE_VERSIONS,
  collectionsOf,
  listAllOf,
  regionCol,
  versionOf,
  zoneCol,
  type ComputeContext,
  type ComputeVersion,
} from './context.js';
import { principalOf, type Initiator } from '../events/audit-log.js';
import { aggregatedListResponse, listResponse } from './list.js';
import { getResource } from './resources.js';
import ipaddr from 'ipaddr.js';
import type { Instance, NicTemplate } from './types.js';

export type { NicTemplate };

export interface InstanceSpec {
  project: string;
  zone: string;
  name: string;
  canIpForward: boolean;
  machineType: string;
  nics: NicTemplate[];
  metadata?: { key: string; value: string }[];
  labels?: Record<string, string>;
  /** Network tags (the targets of firewall rules and tagged routes). */
  tags?: string[];
  createdBy?: string;
}

export function getInstance(ctx: ComputeContext, project: string, zone: string, name: string): Instance {
  return getResource(ctx, zoneCol(project, zone, 'instances'), name);
}

/** Next free host address of a subnet (skipping network, gateway and addresses in use). */
function allocateIp(ctx: ComputeContext, subnetUrl: string): string {
  const path = subnetUrl.replace(/^https?:\/\/[^/]+\/compute\/v1\//, '');
  const m = /^projects\/([^/]+)\/regions\/([^/]+)\/subnetworks\/([^/]+)$/.exec(path);
  const subnet = m ? ctx.store.get(regionCol(m[1]!, m[2]!, 'subnetworks'), m[3]!) : undefined;
  if (!subnet) return '0.0.0.0';
  const used = new Set(
    listAllOf(ctx.store, 'zone', 'instances').flatMap((i) => (i.networkInterfaces ?? []).map((n) => n.networkIP)),
  );
  const [base] = ipaddr.parseCIDR(String(subnet.ipCidrRange));
  const bytes = base.toByteArray();
  const start = ((bytes[0]! << 24) >>> 0) + (bytes[1]! << 16) + (bytes[2]! << 8) + bytes[3]!;
  for (let host = 2; host < 65_000; host++) {
    const n = start + host;
    const ip = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
    if (!used.has(ip)) return ip;
  }
  return '0.0.0.0';
}

/** Inserts a PROVISIONING instance built from `spec`. */
export function createInstanceResource(ctx: ComputeContext, spec: InstanceSpec): Instance {
  const col = zoneCol(spec.project, spec.zone, 'instances');
  return ctx.store.insert(col, {
    kind: 'compute#instance',
    id: nextId(),
    creationTimestamp: ctx.store.nowIso(),
    name: spec.name,
    machineType: computeUrl(`projects/${spec.project}/zones/${spec.zone}/machineTypes/${spec.machineType}`),
    status: 'PROVISIONING',
    zone: computeUrl(`projects/${spec.project}/zones/${spec.zone}`),
    canIpForward: spec.canIpForward,
    networkInterfaces: spec.nics.map((nic, i) => ({
      kind: 'compute#networkInterface',
      name: `nic${i}`,
      network: nic.network,
      subnetwork: nic.subnetwork,
      networkIP: allocateIp(ctx, nic.subnetwork),
      stackType: 'IPV4_ONLY',
    })),
    metadata: {
      kind: 'compute#metadata',
      fingerprint: nextId().slice(-11),
      items: [...(spec.metadata ?? []), ...createdByItem(spec)],
    },
    labels: spec.labels ?? {},
    ...(spec.tags?.length ? { tags: { items: spec.tags, fingerprint: nextId().slice(-11) } } : {}),
    selfLink: computeUrl(`${col}/${spec.name}`),
  });
}

/**
 * A MIG's VMs say which group made them in the `created-by` metadata key; Instance has no field
 * for it (compute.proto), https://cloud.google.com/compute/docs/instance-groups/getting-info-about-migs#checking_if_a_vm_instance_is_part_of_a_mig
 */
function createdByItem(spec: InstanceSpec): { key: string; value: string }[] {
  return spec.createdBy ? [{ key: 'created-by', value: spec.createdBy }] : [];
}

export function setInstanceStatus(
  ctx: ComputeContext,
  project: string,
  zone: string,
  name: string,
  status: string,
): void {
  const col = zoneCol(project, zone, 'instances');
  if (ctx.store.has(col, name)) ctx.store.update(col, name, (i) => void (i.status = status));
}

/**
 * The power methods of a VM, each an Admin Activity audit entry with first/last
 * (https://cloud.google.com/compute/docs/logging/audit-logging lists instances.stop, start, reset,
 * suspend, resume among the audited methods) and the status walk the Instance.Status enum of
 * compute.proto describes: stop RUNNING → STOPPING → TERMINATED; start → STAGING → RUNNING;
 * suspend → SUSPENDING → SUSPENDED; resume → STAGING → RUNNING; reset is "a hard reset … the VM
 * does not do a graceful shutdown" (instances.reset reference) and stays RUNNING; delete →
 * STOPPING → gone. A MIG notices what happened to its members (migs.ts).
 */
export const POWER_VERBS = ['stop', 'start', 'reset', 'suspend', 'resume', 'delete'] as const;
export type PowerVerb = (typeof POWER_VERBS)[number];

/** The status each verb needs to start from; anything else is Compute's 400 resourceNotReady. */
const NEEDS: Partial<Record<PowerVerb, readonly string[]>> = {
  reset: ['RUNNING'],
  suspend: ['RUNNING'],
  resume: ['SUSPENDED'],
};

async function walk(ctx: ComputeContext, project: string, zone: string, name: string, verb: PowerVerb): Promise<void> {
  const step = () => ctx.timers.sleep(ctx.settings.instanceStepMs);
  const set = (status: string) => setInstanceStatus(ctx, project, zone, name, status);
  switch (verb) {
    case 'stop':
      set('STOPPING');
      await step();
      return set('TERMINATED');
    case 'start':
    case 'resume':
      set('STAGING');
      await step();
      return set('RUNNING');
    case 'suspend':
      set('SUSPENDING');
      await step();
      return set('SUSPENDED');
    case 'reset':
      return;
    case 'delete':
      set('STOPPING');
      await step();
      ctx.store.remove(zoneCol(project, zone, 'instances'), name);
  }
}

/** Starts one power method as a zonal operation on behalf of `initiator`, logged first and last. */
export function powerOperation(
  ctx: ComputeContext,
  verb: PowerVerb,
  p: { project: string; zone: string; instance: string },
  who: { initiator: Initiator; version: ComputeVersion },
): Resource {
  const inst = getInstance(ctx, p.project, p.zone, p.instance);
  const allowed = NEEDS[verb];
  if (allowed && !allowed.includes(String(inst.status))) {
    throw badRequest(
      `The resource 'projects/${p.project}/zones/${p.zone}/instances/${p.instance}' is not ready: ${verb} needs the instance ${allowed.join(' or ')}, it is ${String(inst.status)}.`,
      'resourceNotReady',
    );
  }
  const operationId = `operation-${nextId()}`;
  const log = (phase: 'first' | 'last') =>
    ctx.audit.write({
      project: p.project,
      method: `compute.instances.${verb}`,
      version: who.version,
      path: `zones/${p.zone}/instances/${p.instance}`,
      resource: { type: 'gce_instance', labels: { instance_id: String(inst.id), zone: p.zone } },
      operationId,
      phase,
      initiator: who.initiator,
    });
  log('first');
  return ctx.operations.start({
    project: p.project,
    scope: { kind: 'zone', zone: p.zone },
    methodId: `compute.instances.${verb}`,
    operationType: verb,
    targetLink: String(inst.selfLink),
    user: principalOf(ctx, p.project, who.initiator),
    // `last` is the entry of the finished change: written once the VM reached its new status.
    apply: () => void walk(ctx, p.project, p.zone, p.instance, verb).then(() => log('last')),
  });
}

export function registerInstances(router: Router, ctx: ComputeContext): void {
  for (const version of COMPUTE_VERSIONS) {
    const base = `/compute/${version}/projects/{project}/zones/{zone}/instances`;
    router.on('GET', base, 'compute.instances.list', (r) => {
      const col = zoneCol(r.params.project!, r.params.zone!, 'instances');
      return listResponse('compute#instanceList', col, ctx.store.list(col), r.query);
    });
    router.on(
      'GET',
      `/compute/${version}/projects/{project}/aggregated/instances`,
      'compute.instances.aggregatedList',
      (r) => {
        const scoped = collectionsOf(ctx.store, 'zone', 'instances', r.params.project!)
          .sort()
          .map((col) => ({ scope: col.split('/').slice(2, 4).join('/'), items: ctx.store.list(col) }));
        return aggregatedListResponse(
          'compute#instanceAggregatedList',
          'instances',
          r.params.project!,
          scoped,
          r.query,
        );
      },
    );
    router.on('GET', `${base}/{instance}`, 'compute.instances.get', (r) =>
      getInstance(ctx, r.params.project!, r.params.zone!, r.params.instance!),
    );
    const params = (r: Request) => ({ project: r.params.project!, zone: r.params.zone!, instance: r.params.instance! });
    const who = (r: Request) => ({ initiator: ctx.audit.callerOf(r), version: versionOf(r) });
    router.on('DELETE', `${base}/{instance}`, 'compute.instances.delete', (r) =>
      powerOperation(ctx, 'delete', params(r), who(r)),
    );
    for (const verb of POWER_VERBS.filter((v) => v !== 'delete')) {
      router.on('POST', `${base}/{instance}/${verb}`, `compute.instances.${verb}`, (r) =>
        powerOperation(ctx, verb, params(r), who(r)),
      );
    }
  }
}
