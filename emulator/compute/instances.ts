/**
 * Zonal VM instances. The NAT VMs are created and deleted by their MIG (see migs.ts); people and
 * tests can also stop and start one, which is how `netreflex status` shows a broken link.
 */
import type { Router } from '../http.js';
import { computeUrl, nextId, nowIso, type Resource } from '../store.js';
import { regionCol, zoneCol, type ComputeContext } from './context.js';
import { listResponse } from './list.js';
import { getResource } from './resources.js';
import ipaddr from 'ipaddr.js';

export interface NicTemplate {
  network: string;
  subnetwork: string;
}

export interface InstanceSpec {
  project: string;
  zone: string;
  name: string;
  canIpForward: boolean;
  machineType: string;
  nics: NicTemplate[];
  metadata?: { key: string; value: string }[];
  labels?: Record<string, string>;
  /** Network tags (firewall targets such as `netreflex-nat`). */
  tags?: string[];
  createdBy?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function getInstance(ctx: ComputeContext, project: string, zone: string, name: string): Resource {
  return getResource(ctx, zoneCol(project, zone, 'instances'), name);
}

/** Next free host address of a subnet (skipping network, gateway and addresses in use). */
function allocateIp(ctx: ComputeContext, subnetUrl: string): string {
  const path = subnetUrl.replace(/^https?:\/\/[^/]+\/compute\/v1\//, '');
  const m = /^projects\/([^/]+)\/regions\/([^/]+)\/subnetworks\/([^/]+)$/.exec(path);
  const subnet = m ? ctx.store.get(regionCol(m[1]!, m[2]!, 'subnetworks'), m[3]!) : undefined;
  if (!subnet) return '0.0.0.0';
  const used = new Set(ctx.store.collectionsMatching(/\/instances$/).flatMap((c) => ctx.store.list(c)).flatMap((i) => (i.networkInterfaces as { networkIP: string }[]).map((n) => n.networkIP)));
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
export function createInstanceResource(ctx: ComputeContext, spec: InstanceSpec): Resource {
  const col = zoneCol(spec.project, spec.zone, 'instances');
  return ctx.store.insert(col, {
    kind: 'compute#instance',
    id: nextId(),
    creationTimestamp: nowIso(),
    name: spec.name,
    machineType: computeUrl(`projects/${spec.project}/zones/${spec.zone}/machineTypes/${spec.machineType}`),
    status: 'PROVISIONING',
    zone: computeUrl(`projects/${spec.project}/zones/${spec.zone}`),
    canIpForward: spec.canIpForward,
    networkInterfaces: spec.nics.map((nic, i) => ({ kind: 'compute#networkInterface', name: `nic${i}`, network: nic.network, subnetwork: nic.subnetwork, networkIP: allocateIp(ctx, nic.subnetwork), stackType: 'IPV4_ONLY' })),
    metadata: { kind: 'compute#metadata', fingerprint: nextId().slice(-11), items: spec.metadata ?? [] },
    labels: spec.labels ?? {},
    ...(spec.tags?.length ? { tags: { items: spec.tags, fingerprint: nextId().slice(-11) } } : {}),
    ...(spec.createdBy ? { createdBy: spec.createdBy } : {}),
    selfLink: computeUrl(`${col}/${spec.name}`),
  });
}

export function setInstanceStatus(ctx: ComputeContext, project: string, zone: string, name: string, status: string): void {
  const col = zoneCol(project, zone, 'instances');
  if (ctx.store.has(col, name)) ctx.store.update(col, name, (i) => void (i.status = status));
}

/** instances.stop: STOPPING, then TERMINATED; the MIG notices and may autoheal. */
async function stop(ctx: ComputeContext, project: string, zone: string, name: string): Promise<void> {
  setInstanceStatus(ctx, project, zone, name, 'STOPPING');
  await sleep(ctx.settings.instanceStepMs);
  setInstanceStatus(ctx, project, zone, name, 'TERMINATED');
}

async function start(ctx: ComputeContext, project: string, zone: string, name: string): Promise<void> {
  setInstanceStatus(ctx, project, zone, name, 'STAGING');
  await sleep(ctx.settings.instanceStepMs);
  setInstanceStatus(ctx, project, zone, name, 'RUNNING');
}

function powerOp(ctx: ComputeContext, verb: 'stop' | 'start', p: Record<string, string>) {
  const inst = getInstance(ctx, p.project!, p.zone!, p.instance!);
  return ctx.operations.start({
    project: p.project!,
    scope: { kind: 'zone', zone: p.zone! },
    methodId: `compute.instances.${verb}`,
    operationType: verb,
    targetLink: String(inst.selfLink),
    apply: () => void (verb === 'stop' ? stop : start)(ctx, p.project!, p.zone!, p.instance!),
  });
}

export function registerInstances(router: Router, ctx: ComputeContext): void {
  const base = '/compute/v1/projects/{project}/zones/{zone}/instances';
  router.on('GET', base, 'compute.instances.list', (r) => {
    const col = zoneCol(r.params.project!, r.params.zone!, 'instances');
    return listResponse('compute#instanceList', col, ctx.store.list(col), r.query);
  });
  router.on('GET', `${base}/{instance}`, 'compute.instances.get', (r) => getInstance(ctx, r.params.project!, r.params.zone!, r.params.instance!));
  router.on('POST', `${base}/{instance}/stop`, 'compute.instances.stop', (r) => powerOp(ctx, 'stop', r.params));
  router.on('POST', `${base}/{instance}/start`, 'compute.instances.start', (r) => powerOp(ctx, 'start', r.params));
}
