# The Cloud Armor policy guarding the IP-restricted endpoint. Terraform owns the policy and its
# default rule (priority 2147483647, deny 403); armorAllowlist owns the allow rules in its priority
# band and changes them with addRule/patchRule/removeRule as the allowlist file changes.
#
# `rule` is a single list attribute on this resource, so without `ignore_changes` every apply would
# delete the function's allow rules (locking the callers out until the next sync). The price: a later
# edit of the default rule here is ignored too; change it with `gcloud compute security-policies
# rules update 2147483647` or by tainting the policy. Attach the policy to your endpoint's backend
# service yourself (output `security_policy`): the endpoint is not part of this bootstrap.

resource "google_compute_security_policy" "inference" {
  name        = var.armor_policy_name
  description = "IP allowlist for the inference endpoint; allow rules are managed by netreflex armorAllowlist."
  type        = "CLOUD_ARMOR"
  rule {
    action      = "deny(403)"
    priority    = 2147483647
    description = "Default rule: deny every source not allowed by a higher-priority rule."
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
  }
  lifecycle {
    ignore_changes = [rule]
  }
  depends_on = [google_project_service.enabled]
}
