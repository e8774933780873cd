/**
 * The benchmark report is this list, in order. A module measures its figures beside a baseline
 * in the same run (see `BenchModule` in ./types.ts); add one import and one entry to extend it.
 *
 * Figures the issues ask for, by module:
 * - (a) cold-start: natRoutes vs a bare Functions Framework function (and vs @google-cloud/compute)
 * - (b) route-convergence: 2 → 4 NAT VMs, 20 destinations, 300 ms operations vs sequential
 * - (c) allowlist-mutations: mutating calls per one-entry change of a 2,000-entry allowlist (floor 1)
 * - (c′) allowlist-applied: the same change through the armorAllowlist sync on the local Google Cloud (rules + label writes)
 * - (c″) allowlist-in-force: upload → rules in force for 1-entry changes of a 2,000-entry file, vs a naive re-chunking sync
 * - (d) allowlist-planning: planning time at 100k entries vs cidr-tools on the same input
 * - (e) range-allocation: range allocation time on a crowded address plan
 * - (f) peering-concurrency: 5 peeringRanges preparations at once vs one after another, same run
 * - (g) egress-blackout: after a NAT VM dies, how long new flows can still reach it — instance mode (event-driven) vs ilb mode
 * - (h) route-flapping: route mutations per minute and time without a route under anti-phase health flapping, damped vs undamped
 */
import type { BenchModule } from './types.js';
import { coldStartBench } from './cold-start.js';
import { routeConvergenceBench } from './route-convergence.js';
import { allowlistBench } from './allowlist.js';
import { allowlistAppliedBench } from './allowlist-applied.js';
import { allowlistInForceBench } from './allowlist-in-force.js';
import { rangeAllocationBench } from './ranges.js';
import { peeringConcurrencyBench } from './peering-concurrency.js';
import { egressBlackoutBench } from './egress-blackout.js';
import { routeFlappingBench } from './route-flapping.js';

export const BENCHES: BenchModule[] = [
  coldStartBench,
  routeConvergenceBench,
  allowlistBench,
  allowlistAppliedBench,
  allowlistInForceBench,
  rangeAllocationBench,
  peeringConcurrencyBench,
  egressBlackoutBench,
  routeFlappingBench,
];
