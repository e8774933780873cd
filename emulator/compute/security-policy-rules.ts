/**
 * Cloud Armor rule validation, with Cloud Armor's wording where it is known. The limits every
 * rule must respect are enforced here so the emulator refuses what production refuses: at most 10 `srcIpRanges` per `SRC_IPS_V1` rule, valid IPv4/IPv6 addresses or CIDRs (or
 * `*`), priorities 0..2147483647, unique per policy, and a default rule that matches `*`.
 */
import ipaddr from 'ipaddr.js';
import { badRequest } from '../errors.js';
import { isRecord, requireInt, requireObject } from './validate.js';

export const DEFAULT_PRIORITY = 2147483647;
export const MAX_SRC_IP_RANGES = 10;
const MAX_DESCRIPTION = 2048;
const ACTIONS = /^(allow|deny\((403|404|502)\)|redirect|throttle|rate_based_ban)$/;

import type { Rule } from './types.js';
export type { Rule };

/** The default rule a policy gets when it is created without one (Cloud Armor allows by default). */
export const defaultRule = (action = 'allow'): Rule => ({
  kind: 'compute#securityPolicyRule',
  description: 'Default rule, higher priority overrides it',
  priority: DEFAULT_PRIORITY,
  match: { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ['*'] } },
  action,
  preview: false,
});

/** Validates one rule as sent (`field` prefixes error locations); answers it normalized. */
export function validateRule(value: unknown, field: string): Rule {
  const r = requireObject(value, field);
  const priority = requireInt(r.priority, `${field}.priority`, 0, DEFAULT_PRIORITY);
  const action = normalizeAction(r.action, `${field}.action`);
  if ((action === 'throttle' || action === 'rate_based_ban') && !r.rateLimitOptions)
    throw badRequest(`Required field '${field}.rateLimitOptions' not specified for action '${action}'.`, 'required');
  if (action === 'redirect' && !r.redirectOptions)
    throw badRequest(`Required field '${field}.redirectOptions' not specified for action 'redirect'.`, 'required');
  const match = validateMatch(r.match, `${field}.match`);
  if (typeof r.description === 'string' && r.description.length > MAX_DESCRIPTION)
    throw badRequest(`Invalid value for field '${field}.description': longer than ${MAX_DESCRIPTION} characters.`);
  if (r.preview !== undefined && typeof r.preview !== 'boolean')
    throw badRequest(`Invalid value for field '${field}.preview': '${String(r.preview)}'. Must be a boolean.`);
  if (priority === DEFAULT_PRIORITY && !isMatchAll(match)) {
    throw badRequest(
      `Invalid value for field '${field}.match': the default rule (priority ${DEFAULT_PRIORITY}) must match srcIpRanges ['*'].`,
    );
  }
  const { kind: _kind, ...rest } = r;
  return {
    kind: 'compute#securityPolicyRule',
    ...rest,
    description: typeof r.description === 'string' ? r.description : '',
    priority,
    match,
    action,
    preview: r.preview === true,
  };
}

function normalizeAction(value: unknown, field: string): string {
  const action = value === 'deny' ? 'deny(403)' : value;
  if (typeof action !== 'string' || !ACTIONS.test(action)) {
    throw badRequest(
      `Invalid value for field '${field}': '${String(value ?? '')}'. Must be one of allow, deny(403), deny(404), deny(502), redirect, throttle, rate_based_ban.`,
    );
  }
  return action;
}

function validateMatch(value: unknown, field: string): Record<string, unknown> {
  const match = requireObject(value, field);
  if (match.expr !== undefined) {
    const expression = isRecord(match.expr) ? match.expr.expression : undefined;
    if (typeof expression !== 'string' || !expression.trim())
      throw badRequest(`Required field '${field}.expr.expression' not specified`, 'required');
    return match;
  }
  if (match.versionedExpr !== 'SRC_IPS_V1')
    throw badRequest(
      `Invalid value for field '${field}.versionedExpr': '${String(match.versionedExpr ?? '')}'. Must be SRC_IPS_V1 (or use expr).`,
    );
  const ranges = isRecord(match.config) ? match.config.srcIpRanges : undefined;
  if (!Array.isArray(ranges) || ranges.length === 0)
    throw badRequest(`Required field '${field}.config.srcIpRanges' not specified`, 'required');
  if (ranges.length > MAX_SRC_IP_RANGES) {
    throw badRequest(
      `Invalid value for field '${field}.config.srcIpRanges': ${ranges.length} ranges. A rule with versionedExpr SRC_IPS_V1 takes at most ${MAX_SRC_IP_RANGES} source IP ranges; split them over several rules.`,
    );
  }
  ranges.forEach((range, i) => requireSrcIpRange(range, `${field}.config.srcIpRanges[${i}]`));
  return { versionedExpr: 'SRC_IPS_V1', config: { srcIpRanges: ranges.map(String) } };
}

/** `*`, an IPv4/IPv6 address, or an IPv4/IPv6 CIDR. */
function requireSrcIpRange(value: unknown, field: string): void {
  if (value === '*') return;
  const text = typeof value === 'string' ? value : '';
  const address = text.split('/')[0]!;
  const wellFormed =
    ipaddr.IPv4.isValidFourPartDecimal(address) || (address.includes(':') && ipaddr.IPv6.isValid(address));
  const ok = wellFormed && (!text.includes('/') || safe(() => ipaddr.parseCIDR(text)));
  if (!ok)
    throw badRequest(
      `Invalid value for field '${field}': '${String(value ?? '')}'. Must be '*', an IP address or a CIDR range.`,
    );
}

function safe(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch {
    return false;
  }
}

const isMatchAll = (match: Record<string, unknown>) => {
  const ranges = isRecord(match.config) ? match.config.srcIpRanges : undefined;
  return (
    match.versionedExpr === 'SRC_IPS_V1' &&
    (Array.isArray(ranges) || typeof ranges === 'string') &&
    ranges.length === 1 &&
    ranges[0] === '*'
  );
};

/** Rules sorted by priority; duplicates are the error Cloud Armor gives for them. */
export function checkRuleSet(rules: Rule[]): Rule[] {
  const seen = new Set<number>();
  for (const rule of rules) {
    if (seen.has(rule.priority))
      throw badRequest(
        `Invalid value for field 'resource.priority': '${rule.priority}'. Cannot have rules with the same priorities.`,
      );
    seen.add(rule.priority);
  }
  return [...rules].sort((a, b) => a.priority - b.priority);
}
