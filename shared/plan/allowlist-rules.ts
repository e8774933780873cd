/**
 * Cloud Armor rules as the allowlist planner sees them: the Compute REST `SecurityPolicyRule`
 * shape, the ownership marker, and the split of a policy's rules into owned / untouched / conflict.
 *
 * Ownership needs both signals — priority inside the band AND the marker in the description — so
 * a hand-written rule is never edited just because it sits in the band, and a rule is never
 * adopted just because someone copied our description elsewhere.
 */
import { aggregate, tryParseCidr, type ParsedCidr, type RangeSet } from '../net/cidr.js';
import { AllowlistSafetyError } from '../allowlist/errors.js';
import type { SecurityPolicyRule } from '../gcp/security-policies.js';

/** What the planner reads of a Cloud Armor rule: the wire type's fields that decide what it allows. */
export type PolicyRule = Pick<SecurityPolicyRule, 'priority' | 'action' | 'preview' | 'description' | 'match'>;

/** The body of every rule netreflex writes: an allow rule matching source ranges. */
export interface AllowRuleBody extends PolicyRule {
  action: 'allow';
  preview: boolean;
  description: string;
  match: { versionedExpr: 'SRC_IPS_V1'; config: { srcIpRanges: string[] } };
}

/** Cloud Armor's limit for `SRC_IPS_V1` matches. */
export const MAX_RANGES_PER_RULE = 10;
export const OWNER_MARKER = 'netreflex:allowlist';
const MARKER_PATTERN = /^netreflex:allowlist ([a-z][a-z0-9-]{0,39})(?:\s.*)?$/s;

export interface PriorityBand {
  readonly from: number;
  readonly to: number;
}

/** The description that marks a rule as belonging to list `list`. */
export function ownerDescription(list: string): string {
  return `${OWNER_MARKER} ${list}`;
}

export function allowRule(priority: number, list: string, ranges: readonly string[], preview: boolean): AllowRuleBody {
  return {
    priority,
    action: 'allow',
    preview,
    description: ownerDescription(list),
    match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: [...ranges] } },
  };
}

export interface OwnedRule {
  readonly priority: number;
  readonly list: string;
  readonly rule: PolicyRule;
  /** Canonical CIDRs of the rule, in its order, duplicates dropped (unparseable text dropped too). */
  readonly ranges: readonly string[];
}

/** True when the rule, as it stands, lets its ranges through (an allow rule that is not in preview). */
export function isEnforcedAllow(rule: PolicyRule): boolean {
  return rule.action === 'allow' && rule.preview !== true;
}

/** Source ranges of a rule, each parsed (`*` as both /0s); unparseable text is skipped. */
export function ruleRanges(rule: PolicyRule): ParsedCidr[] {
  if (rule.match?.versionedExpr !== 'SRC_IPS_V1') return [];
  return (rule.match.config?.srcIpRanges ?? []).flatMap((text) => {
    if (text.trim() === '*') return [tryParseCidr('0.0.0.0/0')!, tryParseCidr('::/0')!];
    const parsed = tryParseCidr(text.trim());
    return parsed ? [parsed] : [];
  });
}

/** Addresses a set of rules lets through: the union of enforced allow rules' ranges. */
export function allowedBy(rules: Iterable<PolicyRule>): RangeSet {
  const ranges: ParsedCidr[] = [];
  for (const rule of rules) if (isEnforcedAllow(rule)) ranges.push(...ruleRanges(rule));
  return aggregate(ranges);
}

/**
 * Splits a policy's rules. Conflicts refuse the whole plan (AllowlistSafetyError 'ownership-conflict'):
 * - a marked rule outside the band: a moved band or a copied rule; left alone, an expired entry in it
 *   would stay open forever, so a person must delete it or move the band back;
 * - an unmarked rule inside the band: someone else's rule where ours interleave; a deny there would
 *   shadow our allows in an order we do not control, so a person must move it out of the band;
 * - a marked rule whose marker names no valid list.
 */
export function ownedRules(rules: readonly PolicyRule[], band: PriorityBand): OwnedRule[] {
  const { owned, conflicts } = partitionRules(rules, band);
  if (conflicts.length) {
    throw new AllowlistSafetyError(
      'ownership-conflict',
      'The policy has rules whose ownership is ambiguous; nothing was changed. Resolve each:',
      conflicts,
    );
  }
  return owned;
}

/**
 * The owned rules, and a description of every conflict, without refusing: what revoking under a
 * conflict works from (expired entries leave the rules netreflex provably owns; the conflicting
 * rules stay untouched until a person resolves them).
 */
export function partitionRules(
  rules: readonly PolicyRule[],
  band: PriorityBand,
): { owned: OwnedRule[]; conflicts: string[] } {
  const owned: OwnedRule[] = [];
  const conflicts: string[] = [];
  for (const rule of rules) {
    const inBand = rule.priority >= band.from && rule.priority <= band.to;
    const marked = rule.description?.startsWith(OWNER_MARKER) ?? false;
    if (!inBand && !marked) continue;
    const conflict = conflictOf(rule, inBand, marked, band);
    if (conflict) {
      conflicts.push(conflict);
      continue;
    }
    const list = MARKER_PATTERN.exec(rule.description!)![1]!;
    owned.push({ priority: rule.priority, list, rule, ranges: canonicalRanges(rule) });
  }
  return { owned: owned.sort((a, b) => a.priority - b.priority), conflicts };
}

function conflictOf(
  rule: SecurityPolicyRule,
  inBand: boolean,
  marked: boolean,
  band: PriorityBand,
): string | undefined {
  const where = `rule at priority ${rule.priority} (${JSON.stringify(rule.description ?? '')})`;
  if (!marked)
    return (
      `${where} sits in the owned band ${band.from}–${band.to} without the "${OWNER_MARKER}" marker: move ` +
      `it out of the band, or move the band (priorities) away from it`
    );
  if (!inBand)
    return `${where} carries the "${OWNER_MARKER}" marker outside the band ${band.from}–${band.to}: delete it, or move the band back over it`;
  if (!MARKER_PATTERN.test(rule.description!))
    return `${where} has a malformed marker (expected "${OWNER_MARKER} <list-name>"): fix the description or delete the rule`;
  return undefined;
}

function canonicalRanges(rule: PolicyRule): string[] {
  return [...new Set(ruleRanges(rule).map((r) => r.cidr))];
}
