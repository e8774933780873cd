/**
 * The egress side of the chain: the NAT VMs of the MIG, the fixed public IPs Cloud NAT gives
 * them, and whether each Cloud Armor policy in the allowlist lets those IPs through.
 */
import type { Transport } from '../gcp/transport.js';
import { listManagedInstances, type ManagedInstance } from '../gcp/instance-groups.js';
import { cloudNatIps, type NatIps } from '../gcp/routers.js';
import { getSecurityPolicy } from '../gcp/security-policies.js';
import { ConfigError } from '../errors.js';
import { evaluateIp } from './armor.js';
import { describeInstance, isHealthy } from './network-links.js';
import { isNotFound, notCheckedReason } from './errors.js';
import type { Link, StatusConfig } from './types.js';

export async function readNatVms(t: Transport, cfg: StatusConfig): Promise<{ link: Link; instances?: ManagedInstance[] }> {
  const link: Link = { id: 'nat-vms', title: 'NAT VMs', state: 'ok', reason: '', details: [] };
  let instances: ManagedInstance[];
  try {
    instances = await listManagedInstances(t, cfg.project, cfg.region, cfg.mig);
  } catch (err) {
    const missing = isNotFound(err);
    return { link: { ...link, state: missing ? 'broken' : 'not-checked', reason: missing ? `MIG ${cfg.mig} not found in ${cfg.region}` : notCheckedReason('the NAT MIG', err) } };
  }
  link.details = instances.map((mi) => `${mi.name ?? mi.instance.split('/').pop()}: ${describeInstance(mi)}`);
  const sick = instances.filter((mi) => !isHealthy(mi));
  const healthy = instances.length - sick.length;
  if (!healthy || sick.length) link.state = 'broken';
  link.reason = !instances.length ? `MIG ${cfg.mig} has no instances` : sick.length ? `${sick.length} of ${instances.length} NAT VM(s) not healthy (${sick.map((s) => s.name).join(', ')})${healthy ? '; egress continues on the others' : '; no egress path'}` : `${healthy} healthy NAT VM(s)`;
  return { link, instances };
}

export async function readNatIps(t: Transport, cfg: StatusConfig): Promise<{ link: Link; ips?: string[] }> {
  const link: Link = { id: 'nat-ips', title: 'Cloud NAT IPs', state: 'ok', reason: '', details: [] };
  let nat: NatIps;
  try {
    nat = await cloudNatIps(t, cfg.project, cfg.region, cfg.natRouter, cfg.natName);
  } catch (err) {
    if (err instanceof ConfigError || isNotFound(err)) return { link: { ...link, state: 'broken', reason: err.message } };
    return { link: { ...link, state: 'not-checked', reason: notCheckedReason(`router ${cfg.natRouter}`, err) } };
  }
  link.details = nat.ips.map((ip) => `${ip} (${nat.allocation})`);
  if (!nat.ips.length) return { link: { ...link, state: 'broken', reason: `NAT ${cfg.natName} on ${cfg.natRouter} has no IP: reserve a static address and set natIps (MANUAL_ONLY)` } };
  const fragile = nat.allocation === 'AUTO_ONLY' ? '; AUTO_ONLY: these IPs can change, allowlists need MANUAL_ONLY static addresses' : '';
  return { link: { ...link, reason: `${nat.ips.join(', ')}${fragile}` }, ips: nat.ips };
}

export async function allowlistsLink(t: Transport, cfg: StatusConfig, ips: string[] | undefined): Promise<Link> {
  const link: Link = { id: 'allowlists', title: 'Allowlists (Cloud Armor)', state: 'ok', reason: '', details: [] };
  if (!ips) return { ...link, state: 'not-checked', reason: 'not checked: needs the Cloud NAT IPs' };
  if (!cfg.securityPolicies.length) return { ...link, state: 'not-checked', reason: 'not checked: no security policy configured (NETREFLEX_SECURITY_POLICY)' };
  const problems: string[] = [];
  for (const name of cfg.securityPolicies) {
    try {
      const policy = await getSecurityPolicy(t, cfg.project, name);
      for (const ip of ips) {
        const v = evaluateIp(policy, ip);
        const by = v.rule ? `rule ${v.rule.priority} (${v.rule.action})` : 'no matching rule';
        link.details.push(`${name}: ${ip} ${v.decision === 'allow' ? 'allowed' : v.decision === 'deny' ? 'DENIED' : 'unknown'} by ${by}`);
        if (v.decision !== 'allow') problems.push(`${name} ${v.decision === 'deny' ? 'denies' : 'cannot be judged for'} ${ip} (${by})${v.decision === 'deny' ? ': add it to the allowlist file' : ''}`);
      }
    } catch (err) {
      if (isNotFound(err)) problems.push(`security policy ${name} not found`);
      else return { ...link, state: 'not-checked', reason: notCheckedReason(`security policy ${name}`, err) };
    }
  }
  if (problems.length) return { ...link, state: 'broken', reason: problems.join('; ') };
  return { ...link, reason: `${ips.length} IP(s) allowed by ${cfg.securityPolicies.length} polic${cfg.securityPolicies.length === 1 ? 'y' : 'ies'}` };
}
