/**
 * (e) Range allocation on a crowded address plan: 40 parallel 8-node jobs need a /16, and VPC A's
 * plan holds 20,000 subnets, routes and peer-imported ranges scattered over the pool, so only one
 * /16 near its end is free. netreflex's whole `planRanges` (capacity, allocation by walking the gaps
 * between merged taken intervals, wiring, warnings) beside a naive allocator that tries every
 * aligned /16 of the pool against every taken range — allocation alone, on the same input.
 * Both must pick the same block, or the figure is void.
 */
import { planRanges } from '../shared/plan/ranges.js';
import type { ObservedNetwork } from '../shared/plan/ranges-types.js';
import { blockEnd, blockSize, formatIpv4Block, overlaps, type Ipv4Block } from '../shared/net/ipv4-blocks.js';
import { figure, type BenchContext, type BenchModule } from './types.js';

const POOL = '10.0.0.0/8';
const addr = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/**
 * ~80 /28s at pseudo-random offsets in every /16 of 10.0.0.0/8 but the last. A new seed per run
 * means new strings, so no run profits from the parser's cache.
 */
function crowdedPlan(run: number): ObservedNetwork {
  const ranges: string[] = [];
  let seed = 42 + run;
  const rand = () => (seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32;
  for (let i = 0; i < 20_000; i++) {
    const sixteen = Math.floor(rand() * 254); // /16 number 0..253 inside 10/8; 254 and 255 stay mostly free
    const offset = Math.floor(rand() * 4096) * 16;
    ranges.push(`${addr(((10 << 24) >>> 0) + sixteen * 65_536 + offset)}/28`);
  }
  ranges.push('10.254.128.0/24'); // 10.254/16 taken too: the first free /16 is 10.255.0.0/16
  const third = Math.floor(ranges.length / 3);
  return {
    addresses: [{ name: 'vertex-psa-range', address: '10.98.0.0', prefixLength: 21, purpose: 'VPC_PEERING' }],
    connection: { reservedPeeringRanges: ['vertex-psa-range'] },
    subnets: ranges.slice(0, third).map((r, i) => ({ name: `s${i}`, ipCidrRange: r })),
    routeDestRanges: ranges.slice(third, 2 * third),
    peerImportedRanges: ranges.slice(2 * third),
    reservedRanges: [],
    firewallSourceRanges: ['10.98.0.0/21'],
    migRanges: ['10.98.0.0/21'],
    exportCustomRoutes: true,
    nat: { vmCount: 4, minPortsPerVm: 1024, enableDynamicPortAllocation: false },
  };
}

/** Every aligned block of the pool, lowest first, against every taken range: O(blocks × taken). */
function naiveAllocate(pool: Ipv4Block, prefix: number, taken: readonly Ipv4Block[]): Ipv4Block | undefined {
  for (let start = pool.start; start + blockSize(prefix) <= blockEnd(pool); start += blockSize(prefix)) {
    const candidate = { start, prefix };
    if (!taken.some((t) => overlaps(candidate, t))) return candidate;
  }
  return undefined;
}

/** The naive way to read `a.b.c.d/p`: split and multiply (no validation, no cache). */
function naiveBlock(cidr: string): Ipv4Block {
  const [ip, prefix] = cidr.split('/');
  const start = ip!.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  return { start, prefix: Number(prefix) };
}

function takenOf(o: ObservedNetwork): Ipv4Block[] {
  const cidrs = [
    ...o.subnets.map((s) => s.ipCidrRange),
    ...o.routeDestRanges,
    ...o.peerImportedRanges,
    ...o.addresses.map((a) => `${a.address}/${a.prefixLength}`),
  ];
  return cidrs.map(naiveBlock);
}

function time<T>(fn: () => T): [T, number] {
  const started = performance.now();
  const result = fn();
  return [result, performance.now() - started];
}

export const rangeAllocationBench: BenchModule = {
  id: 'ranges',
  title: 'Range allocation on a crowded address plan',
  async run(ctx: BenchContext) {
    const request = { parallelJobs: 40, nodesPerJob: 8, network: 'vpc-a', region: 'asia-northeast1' };
    const [ours, naive]: [number[], number[]] = [[], []];
    for (let i = 0; i < ctx.runs; i++) {
      const observed = crowdedPlan(i);
      const [plan, ms] = time(() => planRanges(request, observed, { pools: [POOL] }));
      const [block, naiveMs] = time(() => naiveAllocate(naiveBlock(POOL), 16, takenOf(observed)));
      const picked = plan.allocate.map((a) => a.cidr);
      if (!block || picked.join() !== formatIpv4Block(block))
        throw new Error(
          `bench ranges: netreflex picked ${picked.join()} but the naive allocator ${block ? formatIpv4Block(block) : 'nothing'}`,
        );
      ours.push(ms);
      naive.push(naiveMs);
      ctx.log(
        `ranges run ${i + 1}/${ctx.runs}: planRanges ${Math.round(ms)} ms → ${picked.join()}, naive ${Math.round(naiveMs)} ms`,
      );
    }
    return [
      figure({
        id: 'ranges.allocate-crowded',
        what: 'range plan, 40 × 8-node jobs (a /16) among 20,000 taken ranges',
        unit: 'ms',
        samples: ours,
        baseline: { what: 'naive: every aligned /16 × every taken range (allocation only)', samples: naive },
      }),
    ];
  },
};
