/**
 * The egress side of the chain: the NAT VMs of the MIG, the fixed public IPs Cloud NAT gives
 * them, and whether each Cloud Armor policy in the allowlist lets those IPs through.
 */
import type { Transport } from '../gcp/transport.js';
import { listManagedInstances } from '../gcp/instance-groups.js';
import { isEligible, natInstanceOf, type NatInstance } from '../plan/routes.js';
import type { RoutesDryRun } from './routes-link.js';
import { cloudNatIps, type NatIps } from '../gcp/routers.js';
import { getSecurityPolicy, type SecurityPolicy } from '../gcp/security-policies.js';
import { ConfigError } from '../errors.js';
import { allowlistSyncState, type AllowlistSyncState } from './armor.js';
import { judgeEgress } from './egress-check.js';
import { reconcileAllowlist } from '../armor-allowlist/reconcile.js';
import { describeNat } from './network-links.js';
import { isResourceMissing, unreadable } from './errors.js';
import { broken, needs, ok, unknown, unreadableLink, type LinkHead } from './link.js';
import type { Link, StatusConfig } from './types.js';

const NAT_VMS: LinkHead = { id: 'nat-vms', title: 'NAT VMs' };
const NAT_IPS: LinkHead = { id: 'nat-ips', title: 'Cloud NAT IPs' };
const ALLOWLISTS: LinkHead = { id: 'allowlists', title: 'Allowlists (Cloud Armor)' };

/**
 * The NAT VMs as natRoutes' dry run observed them (one list of the MIG per status, the one the
 * routes are planned from); read here only when that dry run stopped before its observation.
 */
export async function natVmsLink(t: Transport, cfg: StatusConfig, dry: RoutesDryRun): Promise<Link> {
  const observed = dry.ok ? dry.run.observed : dry.observed;
  let instances: NatInstance[];
  if (observed) instances = observed.instances;
  else
    try {
      instances = (await listManagedInstances(t, cfg.project, cfg.region, cfg.mig)).map(natInstanceOf);
    } catch (err) {
      if (isResourceMissing(err))
        return broken(
          NAT_VMS,
          `MIG ${cfg.mig} not found in ${cfg.region}`,
          'create it (terraform-bootstrap/nat.tf) or set NETREFLEX_NAT_MIG to the NAT MIG',
        );
      return unreadableLink(
        NAT_VMS,
        `the NAT MIG ${cfg.mig}`,
        ['compute.regionInstanceGroupManagers.listManagedInstances'],
        err,
        cfg,
      );
    }
  // Healthy is the rule natRoutes routes by: RUNNING, no action under way, and HEALTHY when
  // health-checked unless NETREFLEX_REQUIRE_HEALTHY=false (then natRoutes routes to an UNHEALTHY
  // VM, and so a status that called it broken would disagree with the routes it judges ok).
  const { requireHealthy } = cfg.routes;
  const ignored = (i: NatInstance) =>
    !requireHealthy && i.health !== undefined && i.health !== 'HEALTHY' && isEligible(i, false)
      ? ' (health not required: NETREFLEX_REQUIRE_HEALTHY=false, natRoutes routes to it)'
      : '';
  const details = instances.map((i) => `${i.name}: ${describeNat(i)}${ignored(i)}`);
  const sick = instances.filter((i) => !isEligible(i, requireHealthy));
  const healthy = instances.length - sick.length;
  if (!instances.length)
    return broken(
      NAT_VMS,
      `MIG ${cfg.mig} has no instances`,
      `resize it: gcloud compute instance-groups managed resize ${cfg.mig} --region=${cfg.region} --size=2`,
      details,
    );
  if (sick.length) {
    const which = `${sick.length} of ${instances.length} NAT VM(s) not ${requireHealthy ? 'healthy' : 'running'}`;
    const reason = `${which} (${sick.map((s) => s.name).join(', ')})${healthy ? '; egress continues on the others' : '; no egress path'}`;
    return broken(
      NAT_VMS,
      reason,
      'autohealing replaces an unhealthy VM; a stopped VM must be started (gcloud compute instances ' +
        'start) or recreated (gcloud compute instance-groups managed recreate-instances)',
      details,
    );
  }
  return ok(NAT_VMS, `${healthy} ${requireHealthy ? 'healthy' : 'running'} NAT VM(s)`, details);
}

export async function readNatIps(t: Transport, cfg: StatusConfig): Promise<{ link: Link; ips?: string[] }> {
  let nat: NatIps;
  try {
    nat = await cloudNatIps(t, cfg.project, cfg.region, cfg.natRouter, cfg.natName);
  } catch (err) {
    if (err instanceof ConfigError || isResourceMissing(err))
      return {
        link: broken(
          NAT_IPS,
          err.message,
          'create the Cloud NAT with MANUAL_ONLY static IPs (terraform-bootstrap/nat.tf), or set NETREFLEX_NAT_ROUTER / NETREFLEX_NAT_NAME to it',
        ),
      };
    return {
      link: unreadableLink(
        NAT_IPS,
        `router ${cfg.natRouter} and its NAT IPs`,
        ['compute.routers.get', 'compute.addresses.get'],
        err,
        cfg,
      ),
    };
  }
  const details = nat.ips.map((ip) => `${ip} (${nat.allocation})`);
  if (!nat.ips.length)
    return {
      link: broken(
        NAT_IPS,
        `NAT ${cfg.natName} on ${cfg.natRouter} has no IP`,
        'reserve a static address and set it in natIps (MANUAL_ONLY)',
        details,
      ),
    };
  const drift = egressIpsDrift(cfg, nat.ips);
  if (drift)
    return {
      link: broken(NAT_IPS, drift.reason, drift.fix, [...details, ...drift.details]),
      ips: nat.ips,
    };
  const fragile =
    nat.allocation === 'AUTO_ONLY'
      ? '; AUTO_ONLY: these IPs can change, allowlists need MANUAL_ONLY static addresses'
      : '';
  return { link: ok(NAT_IPS, `${nat.ips.join(', ')}${fragile}`, details), ips: nat.ips };
}

/**
 * The workflow checks the allowlist for NETREFLEX_EGRESS_IPS (Terraform sets it from the NAT's
 * addresses); traffic leaves from the Cloud NAT's IPs. When both are known and differ, the two
 * checks judge different addresses: broken, so neither reads healthy over the other's IPs. The
 * allowlists link still judges the Cloud NAT IPs, the ones traffic uses.
 */
function egressIpsDrift(
  cfg: StatusConfig,
  natIps: readonly string[],
): { reason: string; fix: string; details: string[] } | undefined {
  if (!cfg.egressIps) return undefined;
  const nat = new Set(natIps);
  const told = new Set(cfg.egressIps);
  const onlyTold = cfg.egressIps.filter((ip) => !nat.has(ip));
  const onlyNat = natIps.filter((ip) => !told.has(ip));
  if (!onlyTold.length && !onlyNat.length) return undefined;
  return {
    reason:
      `NETREFLEX_EGRESS_IPS (${cfg.egressIps.join(', ')}), the IPs the workflow's egress check asks ` +
      `about, are not the Cloud NAT's IPs (${natIps.join(', ')})` +
      (onlyNat.length ? `: ${onlyNat.join(', ')} never checked` : '') +
      (onlyTold.length ? `${onlyNat.length ? ';' : ':'} ${onlyTold.join(', ')} not used by Cloud NAT` : ''),
    fix:
      `terraform apply in terraform-bootstrap (workflows.tf sets the workflow's NETREFLEX_EGRESS_IPS from ` +
      `the NAT's addresses); if the NAT's IPs are the wrong ones, fix natIps of ${cfg.natName} instead; ` +
      `and set NETREFLEX_EGRESS_IPS=${natIps.join(',')} where you run netreflex status`,
    details: [`NETREFLEX_EGRESS_IPS: ${cfg.egressIps.join(', ')}`],
  };
}

/**
 * Each policy must allow each egress IP, and the allowlist sync must not be stalled (its own dry
 * run says whether the live file is refused or missing): either one broken breaks the link.
 */
export async function allowlistsLink(
  t: Transport,
  cfg: StatusConfig,
  natIps: { link: Link; ips?: string[] },
): Promise<Link> {
  const [sync, link] = await Promise.all([syncState(t, cfg), allowedIpsLink(t, cfg, natIps)]);
  if (!sync) return link;
  const details = [...link.details, ...sync.details];
  if (sync.broken) {
    return link.state === 'broken'
      ? broken(ALLOWLISTS, `${link.reason}; ${sync.broken.reason}`, `${link.fix}; ${sync.broken.fix}`, details)
      : broken(ALLOWLISTS, sync.broken.reason, sync.broken.fix, details);
  }
  if (sync.unknown && link.state === 'ok') return unknown(ALLOWLISTS, sync.unknown.reason, sync.unknown.fix, details);
  return { ...link, details };
}

/** The allowlist sync's own verdict (a dry run), or undefined when the status is not told where the file is. */
async function syncState(t: Transport, cfg: StatusConfig): Promise<AllowlistSyncState | undefined> {
  if (!cfg.allowlist) return undefined;
  try {
    return allowlistSyncState(await reconcileAllowlist(t, cfg.allowlist, { now: new Date(), dryRun: true }));
  } catch (err) {
    return {
      details: [],
      unknown: unreadable(
        `the allowlist sync's view of gs://${cfg.allowlist.bucket}/${cfg.allowlist.object}`,
        ['storage.objects.get', 'compute.securityPolicies.list'],
        err,
        cfg,
      ),
    };
  }
}

/**
 * Each egress IP judged by the workflow's own egress check (`judgeEgress`, what
 * armorAllowlistVerify answers the workflow with), in its words: status and the workflow cannot
 * disagree about an IP. Only the read is status's, so a failed read becomes its fix.
 */
async function allowedIpsLink(t: Transport, cfg: StatusConfig, natIps: { link: Link; ips?: string[] }): Promise<Link> {
  if (!natIps.ips) return needs(ALLOWLISTS, natIps.link, 'the Cloud NAT IPs');
  const ips = natIps.ips;
  if (!cfg.securityPolicies.length)
    return unknown(
      ALLOWLISTS,
      'could not check: no security policy configured',
      'set NETREFLEX_SECURITY_POLICY to the policies that must allow the egress IPs',
    );
  const details: string[] = [];
  const denied: string[] = [];
  const blind: { reason: string; fix: string }[] = [];
  const policies = await Promise.all(
    cfg.securityPolicies.map(async (name) => ({ name, read: await readPolicy(t, cfg, name) })),
  );
  for (const { name, read } of policies) {
    if ('missing' in read) denied.push(`security policy ${name} not found`);
    else if ('error' in read)
      blind.push(unreadable(`security policy ${name}`, ['compute.securityPolicies.get'], read.error, cfg));
    else
      for (const v of judgeEgress(read.policy, ips)) {
        details.push(v.why);
        if (v.decision === 'deny') denied.push(v.why);
        if (v.decision === 'unknown')
          blind.push({
            reason: v.why,
            fix:
              `check by hand that rule ${v.rule?.priority}'s expression does not decide for ${v.ip}, or move it ` +
              `after the allow rules (a higher priority number)`,
          });
      }
  }
  if (denied.length)
    return broken(
      ALLOWLISTS,
      denied.join('; '),
      'add the Cloud NAT IPs to the allowlist file (a cloudNat entry), upload it, and let armorAllowlist ' +
        'apply it; a missing policy comes from terraform-bootstrap/armor.tf',
      details,
    );
  if (blind.length)
    return unknown(
      ALLOWLISTS,
      blind.map((b) => b.reason).join('; '),
      [...new Set(blind.map((b) => b.fix))].join('; '),
      details,
    );
  return ok(
    ALLOWLISTS,
    `${ips.length} IP(s) allowed by ${cfg.securityPolicies.length} polic${cfg.securityPolicies.length === 1 ? 'y' : 'ies'}`,
    details,
  );
}

async function readPolicy(
  t: Transport,
  cfg: StatusConfig,
  name: string,
): Promise<{ policy: SecurityPolicy } | { missing: true } | { error: unknown }> {
  try {
    return { policy: await getSecurityPolicy(t, cfg.project, name) };
  } catch (err) {
    return isResourceMissing(err) ? { missing: true } : { error: err };
  }
}
