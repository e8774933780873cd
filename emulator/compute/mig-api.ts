/**
 * The regionInstanceGroupManagers REST methods (v1 and beta) over the MIG model of migs.ts, and
 * the global instance templates the groups build their VMs from. Every mutating call is a region
 * operation logged first (accepted) and last (DONE) as Admin Activity with its caller's principal
 * and the API version it came in on; the operation is DONE once the group is changed, before its
 * VMs are (regionInstanceGroupManagers.patch reference: "marked as DONE when the group is patched
 * even if the instances in the group are still in the process of being patched").
 */
import { badRequest, HttpError } from '../errors.js';
import type { Request, Router } from '../http.js';
import { computePath, computeUrl, nextId, type Resource } from '../store.js';
import { COMPUTE_VERSIONS, globalCol, regionCol, versionOf, type ComputeContext } from './context.js';
import { listResponse, paginate } from './list.js';
import { getResource, startInsert } from './resources.js';
import { lastSegment, requireInt, requireName, requireObject } from './validate.js';
import { ACTIONS, decide, effectivePolicy, isAction, type Action } from './mig-policy.js';
import type { InstanceGroupManager } from './types.js';
import { principalOf } from '../events/audit-log.js';
import type { Migs, MigRef } from './migs.js';

const migCol = (ref: MigRef) => regionCol(ref.project, ref.region, 'instanceGroupManagers');
const refOf = (r: Request): MigRef => ({ project: r.params.project!, region: r.params.region!, name: r.params.igm! });

export function registerMigApi(router: Router, migs: Migs): void {
  const ctx = migs.ctx;
  for (const version of COMPUTE_VERSIONS) {
    const base = `/compute/${version}/projects/{project}/regions/{region}/instanceGroupManagers`;
    const on = (method: string, suffix: string, verb: string, handler: (r: Request) => unknown) =>
      router.on(method, `${base}${suffix}`, `compute.regionInstanceGroupManagers.${verb}`, handler);
    const mutate = (verb: string, suffix: string, act: (r: Request) => () => void) =>
      on('POST', suffix, verb, (r) => operation(migs, r, verb, act(r)));
    on('GET', '', 'list', (r) => {
      const col = regionCol(r.params.project!, r.params.region!, 'instanceGroupManagers');
      return listResponse(
        'compute#regionInstanceGroupManagerList',
        col,
        ctx.store
          .list(col)
          .map((m) => migs.view({ project: r.params.project!, region: r.params.region!, name: m.name })),
        r.query,
      );
    });
    on('GET', '/{igm}', 'get', (r) => migs.view(refOf(r)));
    on('POST', '/{igm}/listManagedInstances', 'listManagedInstances', (r) => {
      const page = paginate(migs.managedInstances(refOf(r)), {
        maxResults: r.query.get('maxResults'),
        pageToken: r.query.get('pageToken'),
      });
      return { managedInstances: page.items, ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
    });
    mutate('resize', '/{igm}/resize', (r) => {
      const size = requireInt(r.query.get('size') ?? undefined, 'size', 0, 1000);
      return () => migs.resize(refOf(r), size);
    });
    mutate('recreateInstances', '/{igm}/recreateInstances', (r) => {
      const names = instanceNames(r.body, migs, refOf(r));
      return () => void migs.recreate(refOf(r), names);
    });
    mutate('deleteInstances', '/{igm}/deleteInstances', (r) => {
      const names = instanceNames(r.body, migs, refOf(r));
      return () => migs.deleteInstances(refOf(r), names);
    });
    mutate('abandonInstances', '/{igm}/abandonInstances', (r) => {
      const names = instanceNames(r.body, migs, refOf(r));
      return () => migs.abandonInstances(refOf(r), names);
    });
    mutate('createInstances', '/{igm}/createInstances', (r) => {
      const names = newInstanceNames(r.body);
      return () => migs.createInstances(refOf(r), names);
    });
    for (const verb of ['stop', 'start', 'suspend', 'resume'] as const) {
      mutate(`${verb}Instances`, `/{igm}/${verb}Instances`, (r) => {
        const names = instanceNames(r.body, migs, refOf(r));
        migs.checkStandby(refOf(r), names, verb);
        return () => migs.standby(refOf(r), names, verb); // checked again when the operation lands
      });
    }
    mutate('setInstanceTemplate', '/{igm}/setInstanceTemplate', (r) => {
      const template = templateUrl(
        ctx,
        r.params.project!,
        requireObject(r.body, 'regionInstanceGroupManagersSetTemplateRequestResource').instanceTemplate,
        'instanceTemplate',
      );
      return () => changeConfig(migs, refOf(r), { instanceTemplate: template });
    });
    mutate('applyUpdatesToInstances', '/{igm}/applyUpdatesToInstances', (r) => applyUpdates(migs, refOf(r), r.body));
    on('PATCH', '/{igm}', 'patch', (r) =>
      fingerprinted(migs, r, 'patch', configChanges(ctx, r, 'instanceGroupManagerResource', false)),
    );
    // Only beta has `update` (PUT): compute.proto v1's RegionInstanceGroupManagers has no Update, v1beta's does.
    if (version === 'beta')
      on('PUT', '/{igm}', 'update', (r) =>
        fingerprinted(migs, r, 'update', configChanges(ctx, r, 'instanceGroupManagerResource', true)),
      );
  }
  registerInstanceTemplates(router, ctx);
}

/** A region operation for a MIG API call, with its own first/last audit entries. */
function operation(migs: Migs, r: Request, verb: string, act: () => void): Resource {
  const ref = refOf(r);
  const mig = migs.mig(ref);
  const initiator = migs.ctx.audit.callerOf(r);
  const opId = `operation-${nextId()}`;
  const write = (phase: 'first' | 'last') =>
    migs.ctx.audit.write({
      project: ref.project,
      method: `compute.regionInstanceGroupManagers.${verb}`,
      version: versionOf(r),
      path: `regions/${ref.region}/instanceGroupManagers/${ref.name}`,
      resource: {
        type: 'gce_instance_group_manager',
        labels: {
          instance_group_manager_id: String(mig.id),
          instance_group_manager_name: ref.name,
          location: ref.region,
        },
      },
      operationId: opId,
      phase,
      initiator,
    });
  write('first');
  return migs.ctx.operations.start({
    project: ref.project,
    scope: { kind: 'region', region: ref.region },
    methodId: `compute.regionInstanceGroupManagers.${verb}`,
    operationType: verb,
    targetLink: String(mig.selfLink),
    user: principalOf(migs.ctx, ref.project, initiator),
    apply: () => {
      act();
      write('last');
    },
  });
}

/**
 * `InstanceGroupManager.fingerprint` (compute.proto): "An up-to-date fingerprint must be provided in
 * order to update the InstanceGroupManager, otherwise the request will fail with error 412
 * conditionNotMet." The local Compute holds callers to that sentence for a missing fingerprint too.
 * Google itself may be laxer there — gcloud's own `all-instances-config update`
 * (googlecloudsdk/command_lib/compute/instance_groups/managed/all_instances_config/update.py)
 * patches without one — so a caller that omits it is refused here rather than racing silently.
 */
function checkFingerprint(mig: InstanceGroupManager, given: unknown): string {
  if (given === undefined || given === null || given === '') {
    throw new HttpError(
      412,
      `Required field 'resource.fingerprint' not specified: an up-to-date fingerprint must be provided to update instance group manager '${String(mig.name)}'; get the group and send its fingerprint.`,
      'conditionNotMet',
    );
  }
  if (typeof given !== 'string' || given !== mig.fingerprint) {
    throw new HttpError(
      412,
      `Invalid value for field 'resource.fingerprint': '${String(given)}'. Supplied fingerprint does not match current fingerprint of instance group manager '${String(mig.name)}'; get the group again and retry.`,
      'conditionNotMet',
    );
  }
  return given;
}

/** patch/update: checked against the fingerprint when asked and again when the operation lands. */
function fingerprinted(migs: Migs, r: Request, verb: 'patch' | 'update', changes: ConfigChanges): Resource {
  const ref = refOf(r);
  // configChanges has checked the body is an object.
  const seen = checkFingerprint(migs.mig(ref), requireObject(r.body, 'resource').fingerprint);
  validatePolicy(migs, ref, changes);
  return operation(migs, r, verb, () => {
    // A change accepted on a fingerprint another write has since replaced fails when it lands.
    checkFingerprint(migs.mig(ref), seen);
    changeConfig(migs, ref, changes);
  });
}

/** The configuration fields a patch or update may change. */
interface ConfigChanges {
  description?: string;
  instanceTemplate?: string;
  versions?: { instanceTemplate: string; name: string }[];
  updatePolicy?: Record<string, unknown>;
  /** JSON merge patch of the all-instances metadata and labels (`null` removes a key). */
  allInstancesConfig?: { metadata?: Record<string, string | null>; labels?: Record<string, string | null> };
  /** update (PUT) replaces the fields it names instead of merging them. */
  replace?: boolean;
}

function configChanges(ctx: ComputeContext, r: Request, what: string, replace: boolean): ConfigChanges {
  const b = requireObject(r.body, what);
  const project = r.params.project!;
  const all =
    b.allInstancesConfig === undefined || b.allInstancesConfig === null
      ? undefined
      : requireObject(b.allInstancesConfig, 'allInstancesConfig');
  const props =
    all?.properties === undefined ? undefined : requireObject(all.properties, 'allInstancesConfig.properties');
  const versions = b.versions === undefined ? undefined : parseVersions(ctx, project, b.versions);
  return {
    ...(typeof b.description === 'string' ? { description: b.description } : {}),
    ...(b.instanceTemplate !== undefined
      ? { instanceTemplate: templateUrl(ctx, project, b.instanceTemplate, 'instanceTemplate') }
      : {}),
    ...(versions ? { versions } : {}),
    ...(b.updatePolicy !== undefined ? { updatePolicy: requireObject(b.updatePolicy, 'updatePolicy') } : {}),
    ...(all
      ? {
          allInstancesConfig: {
            metadata: stringMap(props?.metadata, 'allInstancesConfig.properties.metadata'),
            labels: stringMap(props?.labels, 'allInstancesConfig.properties.labels'),
          },
        }
      : {}),
    replace,
  };
}

function parseVersions(
  ctx: ComputeContext,
  project: string,
  value: unknown,
): { instanceTemplate: string; name: string }[] {
  if (!Array.isArray(value) || value.length !== 1)
    throw badRequest(
      `Invalid value for field 'versions': the local Compute supports exactly one version (no canary split).`,
    );
  const v = requireObject(value[0], 'versions[0]');
  return [
    {
      instanceTemplate: templateUrl(ctx, project, v.instanceTemplate, 'versions[0].instanceTemplate'),
      name: typeof v.name === 'string' ? v.name : '',
    },
  ];
}

/** The update policy a change would leave, refused now (400) if Google would refuse it. */
function validatePolicy(migs: Migs, ref: MigRef, c: ConfigChanges): void {
  if (!c.updatePolicy) return;
  const mig = migs.mig(ref);
  const merged = c.replace ? c.updatePolicy : { ...mig.updatePolicy, ...c.updatePolicy };
  const zones = (mig.distributionPolicy?.zones ?? []).length;
  effectivePolicy(merged, Number(mig.targetSize ?? 0), zones);
}

/** Applies a configuration change to the group resource, then lets the updater roll it out. */
function changeConfig(migs: Migs, ref: MigRef, c: ConfigChanges): void {
  migs.ctx.store.update(migCol(ref), ref.name, (m) => {
    if (c.description !== undefined) m.description = c.description;
    if (c.updatePolicy) m.updatePolicy = c.replace ? c.updatePolicy : { ...m.updatePolicy, ...c.updatePolicy };
    if (c.versions) {
      m.versions = c.versions;
      m.instanceTemplate = c.versions[0]!.instanceTemplate;
    } else if (c.instanceTemplate) {
      m.instanceTemplate = c.instanceTemplate;
      m.versions = [{ instanceTemplate: c.instanceTemplate, name: '' }];
    }
    if (c.allInstancesConfig) {
      const current = m.allInstancesConfig?.properties ?? {};
      const base = c.replace ? {} : current;
      m.allInstancesConfig = {
        properties: {
          ...base,
          metadata: mergeMap(base.metadata, c.allInstancesConfig.metadata),
          labels: mergeMap(base.labels, c.allInstancesConfig.labels),
        },
      };
      // InstanceGroupManagerStatusAllInstancesConfig.current_revision: "in RFC3339 text format".
      m.status = { ...m.status, allInstancesConfig: { currentRevision: migs.ctx.store.nowIso() } };
    }
    m.fingerprint = nextId().slice(-11);
  });
  migs.kick(ref);
}

/**
 * `applyUpdatesToInstances`: the selected VMs get the group's configuration now, whatever the
 * policy type, with the request's own minimal (default NONE) and most disruptive (default REPLACE)
 * action — "If your update requires a more disruptive action than you set with this flag, the
 * update request will fail" (RegionInstanceGroupManagersApplyUpdatesRequest.MostDisruptiveAllowedAction).
 */
function applyUpdates(migs: Migs, ref: MigRef, body: unknown): () => void {
  const b = requireObject(body, 'regionInstanceGroupManagersApplyUpdatesRequestResource');
  const action = (v: unknown, field: string, fallback: Action): Action => {
    if (v === undefined) return fallback;
    if (!isAction(v))
      throw badRequest(`Invalid value for field '${field}': '${String(v)}'. Must be one of ${ACTIONS.join(', ')}.`);
    return v;
  };
  const minimal = action(b.minimalAction, 'minimalAction', 'NONE');
  const most = action(b.mostDisruptiveAllowedAction, 'mostDisruptiveAllowedAction', 'REPLACE');
  const names = b.allInstances === true ? migs.list(ref).map((m) => m.name) : instanceNames(body, migs, ref);
  const plan = names.map((n) => {
    const m = migs.member(ref, n);
    const decision = decide(migs.needed(ref, m), minimal, most);
    if (decision === 'BLOCKED')
      throw badRequest(
        `Invalid value for field 'mostDisruptiveAllowedAction': '${most}'. Updating instance '${n}' requires ${migs.needed(ref, m)}.`,
      );
    return { m, decision };
  });
  const policy = migs.policy(ref);
  return () => plan.forEach(({ m, decision }) => void migs.perform(ref, m, decision, policy));
}

function instanceNames(body: unknown, migs: Migs, ref: MigRef): string[] {
  const instances = requireObject(body, 'request').instances;
  if (!Array.isArray(instances) || instances.length === 0)
    throw badRequest(`Required field 'instances' not specified`, 'required');
  const names = instances.map((i) => lastSegment(computePath(String(i))));
  for (const n of names) migs.member(ref, n);
  return names;
}

function newInstanceNames(body: unknown): string[] {
  const instances = requireObject(body, 'request').instances;
  if (!Array.isArray(instances) || instances.length === 0)
    throw badRequest(`Required field 'instances' not specified`, 'required');
  return instances.map((i, n) => requireName(requireObject(i, `instances[${n}]`).name, `instances[${n}].name`));
}

function templateUrl(ctx: ComputeContext, project: string, value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '')
    throw badRequest(`Required field '${field}' not specified`, 'required');
  const name = lastSegment(value);
  if (!ctx.store.has(globalCol(project, 'instanceTemplates'), name))
    throw badRequest(`Invalid value for field '${field}': '${value}'. The instance template does not exist.`);
  return computeUrl(`${globalCol(project, 'instanceTemplates')}/${name}`);
}

function stringMap(value: unknown, field: string): Record<string, string | null> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    throw badRequest(`Invalid value for field '${field}': must be a map of strings.`);
  const map: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== null && typeof v !== 'string')
      throw badRequest(`Invalid value for field '${field}.${k}': must be a string.`);
    map[k] = v;
  }
  return map;
}

/** JSON merge patch of a string map: keys set, `null` removes. */
function mergeMap(
  current: Record<string, string> | undefined,
  patch: Record<string, string | null> | undefined,
): Record<string, string> {
  const out = { ...current };
  for (const [k, v] of Object.entries(patch ?? {})) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** Instance templates (global; immutable once created): what the MIG builds its instances from. */
export function registerInstanceTemplates(router: Router, ctx: ComputeContext): void {
  for (const version of COMPUTE_VERSIONS) {
    const base = `/compute/${version}/projects/{project}/global/instanceTemplates`;
    router.on('GET', base, 'compute.instanceTemplates.list', (r) => {
      const col = globalCol(r.params.project!, 'instanceTemplates');
      return listResponse('compute#instanceTemplateList', col, ctx.store.list(col), r.query);
    });
    router.on('GET', `${base}/{template}`, 'compute.instanceTemplates.get', (r) =>
      getResource(ctx, globalCol(r.params.project!, 'instanceTemplates'), r.params.template!),
    );
    router.on('POST', base, 'compute.instanceTemplates.insert', (r) => {
      const project = r.params.project!;
      const body = requireObject(r.body, 'instanceTemplateResource');
      const name = requireName(body.name);
      const properties = requireObject(body.properties, 'instanceTemplateResource.properties');
      const col = globalCol(project, 'instanceTemplates');
      const resource: Resource = {
        kind: 'compute#instanceTemplate',
        id: nextId(),
        creationTimestamp: ctx.store.nowIso(),
        name,
        ...(typeof body.description === 'string' ? { description: body.description } : {}),
        properties,
        selfLink: computeUrl(`${col}/${name}`),
      };
      return startInsert(ctx, {
        project,
        scope: { kind: 'global' },
        methodId: 'compute.instanceTemplates.insert',
        collection: col,
        resource,
        reserveName: true,
      });
    });
  }
}
