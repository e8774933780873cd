/**
 * The promises netreflex makes, checked on every single mutation of the local Google Cloud (the
 * store's `onMutation`), not only at the end of a test — a path lost for 300 ms mid-apply is a
 * production outage that a final-state assertion never sees.
 *
 * - egress continuity: at each route mutation, while an eligible NAT instance exists (RUNNING,
 *   MIG action NONE, HEALTHY where a health check exists — the emulator's own view), no
 *   destination that had a route to an eligible instance just before loses it (a route to the
 *   internal load balancer counts when its active pool holds an eligible instance). A destination
 *   already uncovered is not the mutation's fault: the MIG took the instance away (recreate,
 *   autoheal, resize) or the setup is still converging; the scenario's final state checks that.
 * - ownership: a route or Cloud Armor rule netreflex inserts, changes or deletes carries the
 *   `netreflex:` marker (before and after). The caller is told apart by the request's
 *   `x-goog-api-client` header (`netreflex/…` from `shared/gcp/transport.ts`); changes made by the
 *   test through the official clients or directly in the store are never blamed on netreflex.
 * - allow continuity: for each Cloud Armor policy, an address allowed at the start and at the end
 *   of a rotation (`checkpoint()` or `assertHolds()`) is allowed at every state in between.
 *   Allowed sets are evaluated like Cloud Armor does: rules by priority, first match wins,
 *   preview rules do not enforce; CEL-expression rules are not evaluated.
 * - all or nothing: `nothingChangesDuring(action)` — an invalid config changes nothing.
 *
 * Violations are recorded (throwing inside the emulator's timers would corrupt its state) and
 * `assertHolds()` fails the test with the first one and the mutation that broke it.
 */
import type { Emulator } from '../../emulator/server.js';
import type { Mutation, Resource } from '../../emulator/store.js';
import { SAMPLE } from '../../local/topology.js';
import { ilbTargets } from '../../emulator/compute/egress.js';
import { aggregate, isSubset, subtract, toCidrs, union, type RangeSet } from '../../shared/net/cidr.js';
import { ruleRanges, type PolicyRule } from '../../shared/plan/allowlist-rules.js';

export type InvariantName = 'egress-continuity' | 'ownership' | 'allow-continuity' | 'all-or-nothing';
export type Actor = 'netreflex' | 'client' | 'emulator';

export interface Violation {
  invariant: InvariantName;
  message: string;
  /** Index of the mutation among those the watcher saw (1-based). */
  at: number;
  mutation: string;
}

export interface InvariantOptions {
  project?: string;
  /** VPC A's name: only its routes carry the egress path. */
  network?: string;
  destinations?: readonly string[];
  mig?: { project: string; region: string; name: string };
}

export interface InvariantWatcher {
  readonly violations: readonly Violation[];
  /** Mutations of routes / security policies seen, by actor. */
  readonly counts: { routes: Record<Actor, number>; policies: Record<Actor, number> };
  /** Checks allow continuity over the rotation since the last checkpoint and starts a new one. */
  checkpoint(): void;
  /** Runs `action`; any route, policy or address mutation meanwhile is an all-or-nothing violation. */
  nothingChangesDuring<T>(what: string, action: () => Promise<T>): Promise<T>;
  /** Checkpoints, then throws with the first violation (and how many followed). */
  assertHolds(): void;
  stop(): void;
}

const MARKER = 'netreflex:';
const ROUTES = /^projects\/([^/]+)\/global\/routes$/;
const POLICIES = /^projects\/([^/]+)\/global\/securityPolicies$/;
const GUARDED = /\/global\/(routes|securityPolicies|addresses)$/;
const path = (url: string) => url.replace(/^https?:\/\/[^/]+\/compute\/(v1|beta)\//, '').replace(/^\//, '');
const marked = (r: unknown) => {
  const description = (r as { description?: unknown } | undefined)?.description;
  return typeof description === 'string' && description.startsWith(MARKER);
};
const describe = (m: Mutation, actor: Actor) => `${actor} ${m.action} ${m.collection}/${m.name}`;

/** Which resource a mutating request names, so the store mutation it causes can be blamed on its caller. */
function requestTarget(methodId: string, reqPath: string, body: unknown): string | undefined {
  const p = reqPath.replace(/^\/compute\/v1\//, '');
  if (methodId === 'compute.routes.insert') return `${p}/${String((body as { name?: unknown } | undefined)?.name)}`;
  if (methodId === 'compute.routes.delete') return p;
  if (methodId.startsWith('compute.securityPolicies.'))
    return /^(projects\/[^/]+\/global\/securityPolicies\/[^/]+)/.exec(p)?.[1];
  return undefined;
}

/** Addresses a policy lets through: rules by priority, first match wins, preview rules skipped. */
export function allowedByPolicy(rules: readonly PolicyRule[]): RangeSet {
  let decided: RangeSet = [];
  let allowed: RangeSet = [];
  for (const rule of [...rules].sort((a, b) => a.priority - b.priority)) {
    if (rule.preview === true) continue;
    const matched = subtract(aggregate(ruleRanges(rule)), decided);
    if (rule.action === 'allow') allowed = union(allowed, matched);
    decided = union(decided, matched);
  }
  return allowed;
}

interface PolicyState {
  at: number;
  mutation: string;
  allowed: RangeSet;
}

export function watchInvariants(emu: Emulator, options: InvariantOptions = {}): InvariantWatcher {
  const project = options.project ?? SAMPLE.project;
  const network = `projects/${project}/global/networks/${options.network ?? SAMPLE.vpcA.network}`;
  const destinations = options.destinations ?? SAMPLE.destinations;
  const mig = options.mig ?? { project, region: SAMPLE.region, name: SAMPLE.nat.mig };
  const actors = new Map<string, Actor>();
  const violations: Violation[] = [];
  const counts = {
    routes: { netreflex: 0, client: 0, emulator: 0 },
    policies: { netreflex: 0, client: 0, emulator: 0 },
  };
  const rotations = new Map<string, PolicyState[]>();
  let seen = 0;
  let stopped = false;
  let guard: string | undefined;

  emu.router.addHook(async (methodId, req) => {
    const target = stopped ? undefined : requestTarget(methodId, req.path, req.body);
    if (target)
      actors.set(
        target,
        String(req.headers['x-goog-api-client'] ?? '').includes('netreflex/') ? 'netreflex' : 'client',
      );
    return 'continue';
  });

  const violate = (invariant: InvariantName, message: string, m: Mutation, actor: Actor) =>
    violations.push({ invariant, message, at: seen, mutation: describe(m, actor) });

  const eligibleInstances = (): Set<string> => {
    const managed = emu.migs.list(mig).length ? emu.migs.managedInstances(mig) : [];
    const ok = managed.filter(
      (i) =>
        i.instanceStatus === 'RUNNING' &&
        i.currentAction === 'NONE' &&
        (i.instanceHealth?.[0]?.detailedHealthState ?? 'HEALTHY') === 'HEALTHY',
    );
    return new Set(ok.map((i) => path(i.instance)));
  };

  /** A load balancer next hop carries traffic to an eligible VM when its active pool holds one (emulator/compute/egress.ts). */
  const viaIlb = (r: Resource, eligible: Set<string>) =>
    ilbTargets(emu.compute, emu.migs, project, r).some((i) => eligible.has(path(i)));
  const covered = (routes: readonly Resource[], dest: string, eligible: Set<string>) =>
    routes.some(
      (r) =>
        r.destRange === dest &&
        !(r.tags as string[] | undefined)?.length &&
        path(String(r.network)) === network &&
        ((typeof r.nextHopIlb === 'string' && viaIlb(r, eligible)) ||
          (typeof r.nextHopInstance === 'string' && eligible.has(path(r.nextHopInstance)))),
    );

  const checkEgress = (m: Mutation, actor: Actor) => {
    const eligible = eligibleInstances();
    if (eligible.size === 0) return;
    const after = emu.store.list(m.collection);
    const before =
      m.action === 'insert'
        ? after.filter((r) => r.name !== m.name)
        : m.before
          ? [...after.filter((r) => r.name !== m.name), m.before]
          : after;
    for (const dest of destinations) {
      if (covered(before, dest, eligible) && !covered(after, dest, eligible)) {
        violate(
          'egress-continuity',
          `${dest} lost its last route to an eligible NAT instance (eligible: ${[...eligible].map((e) => e.split('/').pop()).join(', ')})`,
          m,
          actor,
        );
      }
    }
  };

  const checkRouteOwnership = (m: Mutation, actor: Actor) => {
    if (actor !== 'netreflex') return;
    if ((m.before && !marked(m.before)) || (m.after && !marked(m.after)))
      violate('ownership', `netreflex changed route ${m.name}, which has no "${MARKER}" marker`, m, actor);
  };

  const checkRuleOwnership = (m: Mutation, actor: Actor) => {
    if (actor !== 'netreflex') return;
    const byPriority = (r?: Resource) =>
      new Map(((r?.rules as PolicyRule[] | undefined) ?? []).map((rule) => [rule.priority, rule]));
    const [before, after] = [byPriority(m.before), byPriority(m.after)];
    for (const priority of new Set([...before.keys(), ...after.keys()])) {
      const [b, a] = [before.get(priority), after.get(priority)];
      if (JSON.stringify(b) === JSON.stringify(a)) continue;
      if ((b && !marked(b)) || (a && !marked(a)))
        violate(
          'ownership',
          `netreflex changed the rule at priority ${priority} of ${m.name}, which has no "${MARKER}" marker`,
          m,
          actor,
        );
    }
  };

  const recordPolicy = (key: string, state: PolicyState) => {
    const list = rotations.get(key) ?? [];
    list.push(state);
    rotations.set(key, list);
  };

  const policyRules = (r: Resource | undefined) => (r?.rules as PolicyRule[] | undefined) ?? [];
  const startRotations = () => {
    for (const col of emu.store.collectionsMatching(POLICIES)) {
      for (const policy of emu.store.list(col))
        rotations.set(`${col}/${policy.name}`, [
          { at: seen, mutation: '(start of rotation)', allowed: allowedByPolicy(policyRules(policy)) },
        ]);
    }
  };

  const checkRotations = () => {
    for (const [key, states] of rotations) {
      if (states.length < 2) continue;
      const keep = subtract(states[0]!.allowed, subtract(states[0]!.allowed, states.at(-1)!.allowed));
      const broken = states.find((s) => !isSubset(keep, s.allowed));
      if (broken) {
        violations.push({
          invariant: 'allow-continuity',
          message: `${key}: addresses allowed before and after the rotation were denied in between: ${toCidrs(subtract(keep, broken.allowed)).slice(0, 5).join(', ')}`,
          at: broken.at,
          mutation: broken.mutation,
        });
      }
    }
    rotations.clear();
    startRotations();
  };

  const unsubscribe = emu.store.onMutation((m) => {
    const isRoute = ROUTES.test(m.collection);
    const isPolicy = POLICIES.test(m.collection);
    if (isRoute || isPolicy) seen += 1;
    const actor: Actor = actors.get(`${m.collection}/${m.name}`) ?? 'emulator';
    if (guard && GUARDED.test(m.collection))
      violate('all-or-nothing', `${guard} changed ${m.collection}/${m.name}`, m, actor);
    if (isRoute) {
      counts.routes[actor] += 1;
      checkRouteOwnership(m, actor);
      if (ROUTES.exec(m.collection)![1] === project) checkEgress(m, actor);
    } else if (isPolicy) {
      counts.policies[actor] += 1;
      checkRuleOwnership(m, actor);
      if (m.action === 'insert' && !rotations.has(`${m.collection}/${m.name}`))
        recordPolicy(`${m.collection}/${m.name}`, { at: seen, mutation: '(policy created)', allowed: [] });
      recordPolicy(`${m.collection}/${m.name}`, {
        at: seen,
        mutation: describe(m, actor),
        allowed: allowedByPolicy(policyRules(m.after)),
      });
    }
  });
  startRotations();

  return {
    violations,
    counts,
    checkpoint: checkRotations,
    async nothingChangesDuring<T>(what: string, action: () => Promise<T>): Promise<T> {
      guard = what;
      try {
        return await action();
      } finally {
        guard = undefined;
      }
    },
    assertHolds() {
      checkRotations();
      const first = [...violations].sort((a, b) => a.at - b.at)[0];
      if (first)
        throw new Error(
          `invariant ${first.invariant} violated at mutation #${first.at} (${first.mutation}): ${first.message}${violations.length > 1 ? ` — and ${violations.length - 1} more violation(s)` : ''}`,
        );
    },
    stop() {
      stopped = true;
      unsubscribe();
    },
  };
}
