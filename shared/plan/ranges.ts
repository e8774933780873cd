/**
 * Peered-range preparation before a Vertex AI pipeline run: the pure plan.
 *
 * desired: the Vertex ranges hold `parallelJobs` concurrent jobs of `nodesPerJob` nodes, and every
 * one of them is wired — a `VPC_PEERING` global address, named on the Service Networking
 * connection, allowed by the firewall rule that lets PSA ranges reach the NAT VMs, listed in the
 * NAT MIG metadata (so every NAT VM has a return route to it), and the peering exports custom
 * routes (so the producer VPC imports the routes to the NAT VMs).
 *
 * Decision table:
 *
 * | observed                                           | plan                                           |
 * |----------------------------------------------------|------------------------------------------------|
 * | capacity ≥ required, all wired                     | no change (plan(x, x) is empty)                |
 * | capacity ≥ required, a range not wired somewhere   | only the missing wiring steps                  |
 * | capacity < required, one free block covers it      | one new range of the minimal size, then wiring |
 * | capacity < required, no single block covers it     | several aligned blocks, largest first          |
 * | more than the pools could hold even empty          | ConfigError (ask for fewer jobs / wider pool)  |
 * | the free blocks of the pools together fall short   | SafetyError naming what is free (nothing done) |
 * | short, but the run alone would fit (nothing else   | PoolBusy naming the other runs (503: retry     |
 * | running, no other run's ranges held)               | once they end; nothing done)                   |
 *
 * `required` is this request's jobs plus every other run on the network (`observed.demand`: the
 * Vertex jobs running or queued there and the runs prepared and not started yet), all counted in
 * blocks of this request's tier (`blocksTakenBy`, their address space rounded up to our blocks):
 * capacity is for all of them together, not per request — two 40-job runs need 80.
 *
 * Except runs confined to their own ranges (`demand[].ranges`: netreflex's runs, and any job with
 * `reservedIpRanges`): Vertex puts a job's nodes in any of its reserved ranges, so a run handed
 * ranges another run counts on could take that run's blocks and fail it. Those ranges are left to
 * it (`capacity.leftToOthers`), this run gets ranges no other run is confined to — the fewest that
 * hold it (`pickRanges`), allocating the shortfall — and only jobs that may use any range share
 * this run's count. Two concurrent 40-job runs thus never share a range; when both are over, their
 * ranges are free for the next runs.
 *
 * Which ranges are Vertex's: `VPC_PEERING` addresses named in `vertexRangeNames` or starting with
 * `namePrefix`. Other PSA ranges (Cloud SQL, Memorystore…) are avoided but never handed to Vertex,
 * because only Vertex's ranges get NAT return routes. A new range's name is derived from its
 * network and CIDR (ranges-names.ts) and allocation is lowest-address-first, so a retry after a failure mid-way sees the address it
 * created, counts it, and only finishes the wiring: it never allocates twice.
 */
import { blocksTakenBy, nodeTier } from './capacity.js';
import { vertexRanges, type RangeWithBlock } from './ranges-observed.js';
import { allocateRanges, PoolBusy, PoolExhausted, PoolTooSmall } from './ranges-allocate.js';
import { wiringChanges } from './ranges-wiring.js';
import { rangeWarnings } from './ranges-warnings.js';
import {
  DEFAULT_RANGE_OPTIONS,
  type ObservedDemand,
  type ObservedNetwork,
  type RangePlan,
  type RangePlanOptions,
  type RangeRequest,
  parseRangeRequest,
} from './ranges-types.js';

export * from './ranges-types.js';
export { PoolBusy, PoolExhausted, PoolTooSmall } from './ranges-allocate.js';

/**
 * Plans what to create and patch so that the run described by `input` has room and a return path.
 * Pure: reads only its arguments. Throws ConfigError for a request to fix, SafetyError when the
 * pools are exhausted, PoolBusy when they are short only because of the other runs' current demand.
 */
export function planRanges(
  input: RangeRequest,
  observed: ObservedNetwork,
  options: Partial<RangePlanOptions> = {},
): RangePlan {
  const request = parseRangeRequest(input);
  const opts: RangePlanOptions = { ...DEFAULT_RANGE_OPTIONS, ...options };
  const tier = nodeTier(request.nodesPerJob);
  const demand = [...(observed.demand ?? [])];
  // Runs confined to their own reserved ranges keep them; the rest may land in any range, ours included.
  const leftToOthers = [...new Set(demand.flatMap((d) => d.ranges ?? []))].sort();
  const others = blocksTakenBy(
    demand.filter((d) => !d.ranges?.length),
    tier,
  );
  const required = request.parallelJobs + others;
  const existing = vertexRanges(observed, opts, request.nodesPerJob);
  const free = existing.filter((r) => !leftToOthers.includes(r.name));
  const counted = free.reduce((sum, r) => sum + r.jobs, 0);
  const added = required > counted ? allocateOrWait(request, required - counted, existing, demand, observed, opts) : [];
  // Picked out of everything free once the plan is applied, so a retry (which sees the new ranges
  // as existing) picks the same.
  const picked = pickRanges([...free, ...added], required);
  const used = [...picked.filter((r) => !added.includes(r)), ...added].sort((a, b) => a.block.start - b.block.start);
  // Every Vertex range stays wired (each run's ranges were wired by it; a repair keeps them so).
  const wired = [...existing, ...added];
  // Stryker disable next-line ArrayDeclaration: a placeholder element is no range's name (Compute names are lowercase RFC 1035): with no connection nothing is connected either way
  const connected = new Set(observed.connection?.reservedPeeringRanges ?? []);
  return {
    // Stryker disable next-line MethodExpression,ConditionalExpression,EqualityOperator: `used` is ranges pickRanges took (none that holds no job) and new ones (each holds a job at least)
    reservedIpRanges: used.filter((r) => r.jobs > 0).map((r) => r.name),
    ranges: wired.map(({ block: _block, ...range }) => range),
    allocate: added.map(({ name, cidr }) => ({ name, cidr })),
    capacity: {
      nodesPerJobTier: tier,
      required,
      requested: request.parallelJobs,
      others,
      estimated: demand.some((d) => d.estimated),
      demand,
      leftToOthers,
      before: used.filter((r) => !added.includes(r) && connected.has(r.name)).reduce((sum, r) => sum + r.jobs, 0),
      after: used.reduce((sum, r) => sum + r.jobs, 0),
    },
    changes: wiringChanges(request.network, wired, observed, opts),
    warnings: rangeWarnings(request, existing, observed, opts),
  };
}

/**
 * The new ranges for `shortfall`; when the pools cannot hold it, whether that is for good or only
 * because of the other runs' current demand: with nothing else on the network (every Vertex range
 * free, no other jobs counted) the run alone either fits — `PoolBusy`, temporary: retry once they
 * end — or does not, and the refusal is the one for the run alone (422 exhausted, 400 too large).
 */
function allocateOrWait(
  request: RangeRequest,
  shortfall: number,
  existing: readonly RangeWithBlock[],
  demand: readonly ObservedDemand[],
  observed: ObservedNetwork,
  opts: RangePlanOptions,
): RangeWithBlock[] {
  try {
    return allocateRanges(shortfall, request.nodesPerJob, request.network, observed, opts);
  } catch (err) {
    if (!demand.length || !(err instanceof PoolExhausted || err instanceof PoolTooSmall)) throw err;
    const alone = existing.reduce((sum, r) => sum + r.jobs, 0);
    if (request.parallelJobs > alone)
      allocateRanges(request.parallelJobs - alone, request.nodesPerJob, request.network, observed, opts);
    throw new PoolBusy(
      demand.map((d) => d.source),
      request.parallelJobs,
      request.nodesPerJob,
      err.message,
    );
  }
}

/**
 * The existing ranges this run gets, out of those no other run is confined to: the smallest one
 * that holds `required` alone, else the largest first until they do (fewest ranges), else all of
 * them (the shortfall is allocated). What it does not take stays free for the next run.
 */
function pickRanges(free: readonly RangeWithBlock[], required: number): RangeWithBlock[] {
  // Stryker disable next-line MethodExpression,ConditionalExpression,EqualityOperator: a range holding no job fits no run (required ≥ 1) and sorts after the ranges that together hold `required`, so it is never taken
  const usable = free.filter((r) => r.jobs > 0);
  const fits = usable
    .filter((r) => r.jobs >= required)
    .sort((a, b) => a.jobs - b.jobs || a.block.start - b.block.start);
  if (fits.length) return [fits[0]!];
  const out: RangeWithBlock[] = [];
  let sum = 0;
  for (const r of [...usable].sort((a, b) => b.jobs - a.jobs || a.block.start - b.block.start)) {
    if (sum >= required) break;
    out.push(r);
    sum += r.jobs;
  }
  return out;
}
