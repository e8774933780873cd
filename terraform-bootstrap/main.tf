# Shared lookups and naming used by every file of the netreflex bootstrap.

data "google_project" "this" {
  project_id = var.project_id

  depends_on = [google_project_service.enabled]
}

locals {
  # The service account Vertex AI pipeline jobs run as: the given one, or netreflex's own (iam.tf).
  pipeline_service_account = coalesce(var.pipeline_service_account, google_service_account.pipelines.email)
  # Where pipeline jobs write their artifacts unless a request names its own gcsOutputDirectory:
  # the given path, or runs/ in netreflex's pipeline bucket (bucket.tf).
  pipeline_root = coalesce(var.pipeline_root, "gs://${google_storage_bucket.pipelines.name}/runs")
  # "<address>/<prefix>" of every Private Service Access range this bootstrap allocates.
  psa_cidrs = [for a in google_compute_global_address.psa : "${a.address}/${a.prefix_length}"]
  # Network tag the firewall rules use to reach the NAT VMs.
  nat_tag = "${var.prefix}-nat"
}
