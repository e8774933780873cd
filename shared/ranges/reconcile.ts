/**
 * One run of peered-range preparation, the same loop as every netreflex reconciler:
 * observe → preflight → plan → apply → verify.
 *
 * - The request is validated first (ConfigError: the caller must change it).
 * - The Vertex preflight runs before any change: a region busy on another network refuses the
 *   run (PreflightRefusal) with nothing changed.
 * - The plan is pure (`planRanges`); pool exhaustion or a too-large request throws before anything
 *   is created, so nothing is ever half-created by a refusal.
 * - Apply stops at the first failed step; the range names are derived from the CIDR, so a retry
 *   sees the address it created, counts it and only finishes the wiring — never allocating twice.
 * - Verify observes again and plans the same request: a complete run plans nothing more.
 */
import type { Transport } from '../gcp/transport.js';
import type { PeeringRangesConfig } from '../config/peering-ranges.js';
import { planRanges, parseRangeRequest, type PlannedRange, type RangePlan, type RangeRequest, type RangeWarning } from '../plan/ranges.js';
import { describeRangeChange } from '../plan/ranges-describe.js';
import { observeRanges } from './observe.js';
import { applyRangeChanges, type RangeChangeResult } from './apply.js';
import { PreflightRefusal, vertexPreflight, type PreflightReport } from './preflight.js';

export interface RangeReport {
  /** ok: ready to run; failed: a step failed (see `changes`), retry when `retryable`. */
  status: 'ok' | 'failed';
  dryRun: boolean;
  request: RangeRequest;
  /** Pass these as the PipelineJob's `reservedIpRanges` (empty when the run failed). */
  reservedIpRanges: string[];
  /** `projects/{projectNumber}/global/networks/{name}`: the PipelineJob's `network`. */
  network: string;
  /** Ranges allocated by this run (planned, in a dry run). */
  allocated: { name: string; cidr: string }[];
  ranges: PlannedRange[];
  capacity: RangePlan['capacity'];
  /** Every planned step; with its outcome once applied. */
  changes: (RangeChangeResult | { kind: string; description: string; planned: true })[];
  warnings: RangeWarning[];
  preflight: PreflightReport;
  /** After apply: a fresh plan of the same request is empty (everything is wired). */
  verified?: boolean;
  retryable: boolean;
}

export interface PrepareOptions {
  dryRun?: boolean;
}

/** Normalizes the caller's input: defaults from config, a network URL reduced to its name. */
export function requestFrom(input: unknown, cfg: PeeringRangesConfig): RangeRequest {
  const raw = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const network = typeof raw.network === 'string' && raw.network ? raw.network.split('/').pop() : cfg.network;
  return parseRangeRequest({ ...raw, network, region: raw.region ?? cfg.region });
}

export async function prepareRanges(t: Transport, cfg: PeeringRangesConfig, input: unknown, options: PrepareOptions = {}): Promise<RangeReport> {
  const request = requestFrom(input, cfg);
  const obs = await observeRanges(t, cfg, request.network);
  const preflight = await vertexPreflight(t, cfg.project, request.region, { project: cfg.project, projectNumber: cfg.projectNumber, name: request.network });
  if (preflight.otherNetwork.length) throw new PreflightRefusal(preflight, obs.consumerNetwork);
  const plan = planRanges(request, obs.observed, { ...cfg.plan });
  const report: RangeReport = {
    status: 'ok', dryRun: options.dryRun === true, request, reservedIpRanges: plan.reservedIpRanges, network: obs.consumerNetwork,
    allocated: plan.allocate, ranges: plan.ranges, capacity: plan.capacity, warnings: plan.warnings, preflight, retryable: false,
    changes: plan.changes.map((c) => ({ kind: c.kind, description: describeRangeChange(c), planned: true as const })),
  };
  if (report.dryRun || plan.changes.length === 0) return report;
  const results = await applyRangeChanges(t, cfg, obs, plan.changes);
  report.changes = [...results, ...report.changes.slice(results.length)];
  if (results.some((r) => !r.ok)) return { ...report, status: 'failed', reservedIpRanges: [], retryable: results.some((r) => !r.ok && r.transient) };
  const again = planRanges(request, (await observeRanges(t, cfg, request.network)).observed, { ...cfg.plan });
  return { ...report, verified: again.changes.length === 0 };
}
