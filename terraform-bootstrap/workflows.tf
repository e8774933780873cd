# The orchestration of a pipeline run (workflows/vertex-pipeline-run.yaml, also run by the local
# Workflows engine in tests): ranges ready -> routes rebuilt and exported -> egress IP allowed (armorAllowlistVerify) ->
# PipelineJob on VPC A with the prepared ranges -> outcome. The YAML reads its settings with
# sys.get_env; test/terraform checks that every name it reads is set here.

locals {
  workflow_name = "vertex-pipeline-run"
}

resource "google_workflows_workflow" "pipeline_run" {
  name            = local.workflow_name
  region          = var.region
  description     = "netreflex: prepare the egress path, then run a Vertex AI pipeline on VPC A."
  service_account = google_service_account.workflow.id
  call_log_level  = "LOG_ERRORS_ONLY"
  labels          = var.labels
  source_contents = file("${path.module}/../workflows/vertex-pipeline-run.yaml")
  user_env_vars = {
    NETREFLEX_PEERING_RANGES_URL = google_cloudfunctions2_function.default["peeringRanges"].service_config[0].uri
    NETREFLEX_NAT_ROUTES_URL     = google_cloudfunctions2_function.default["natRoutesSync"].service_config[0].uri
    NETREFLEX_ARMOR_VERIFY_URL   = google_cloudfunctions2_function.default["armorAllowlistVerify"].service_config[0].uri
    NETREFLEX_NETWORK            = "projects/${data.google_project.this.number}/global/networks/${google_compute_network.vpc_a.name}"
    NETREFLEX_SECURITY_POLICY    = google_compute_security_policy.inference.name
    NETREFLEX_EGRESS_IPS         = join(",", google_compute_address.nat[*].address)
    NETREFLEX_SERVICE_ACCOUNT    = local.pipeline_service_account
    NETREFLEX_REPLY_TOPIC        = google_pubsub_topic.pipeline_replies.name
    NETREFLEX_PIPELINE_ROOT      = local.pipeline_root
  }
}
