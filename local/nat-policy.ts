/**
 * The NAT MIG's update policy as terraform-bootstrap/nat.tf deploys it, in the API's shape
 * (InstanceGroupManagerUpdatePolicy), so the sample MIG rolls configuration changes out exactly as
 * the deployed one would. The provider maps the block's attributes one to one
 * (hashicorp/terraform-provider-google, resource_compute_region_instance_group_manager.go,
 * expandRegionUpdatePolicy).
 */
import { block, literal, readTerraform, resourceBody, TERRAFORM_DIR } from './terraform/reader.js';

export const NAT_MIG_RESOURCE = { type: 'google_compute_region_instance_group_manager', name: 'nat' } as const;

const FIELDS = {
  type: 'type',
  minimal_action: 'minimalAction',
  most_disruptive_allowed_action: 'mostDisruptiveAllowedAction',
  replacement_method: 'replacementMethod',
  instance_redistribution_type: 'instanceRedistributionType',
} as const;

export async function natUpdatePolicy(dir = TERRAFORM_DIR): Promise<Record<string, unknown> | undefined> {
  const files = await readTerraform(dir);
  const body = resourceBody(files, NAT_MIG_RESOURCE.type, NAT_MIG_RESOURCE.name);
  if (!body)
    throw new Error(`terraform reader: ${dir} has no resource ${NAT_MIG_RESOURCE.type}.${NAT_MIG_RESOURCE.name}`);
  const p = block(body, 'update_policy');
  if (!p) return undefined;
  const at = (k: string) =>
    literal(files, p[k], `${NAT_MIG_RESOURCE.type}.${NAT_MIG_RESOURCE.name}.update_policy.${k}`);
  const out: Record<string, unknown> = {};
  for (const [tf, api] of Object.entries(FIELDS)) if (p[tf] !== undefined) out[api] = at(tf);
  for (const which of ['max_surge', 'max_unavailable'] as const) {
    const api = which === 'max_surge' ? 'maxSurge' : 'maxUnavailable';
    if (p[`${which}_percent`] !== undefined) out[api] = { percent: Number(at(`${which}_percent`)) };
    else if (p[`${which}_fixed`] !== undefined) out[api] = { fixed: Number(at(`${which}_fixed`)) };
  }
  return out;
}
