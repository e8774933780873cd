# Outputs of the netreflex bootstrap, in alphabetical order.

output "config_bucket" {
  description = "Config bucket; upload the allowlist file to gs://<bucket>/<allowlist_object>."
  value       = google_storage_bucket.config.name
}

output "functions" {
  description = "Deployed functions by entry point: Cloud Run service name, URL and service account."
  value = {
    for k, f in google_cloudfunctions2_function.default : k => {
      service         = f.service_config[0].service
      uri             = f.service_config[0].uri
      service_account = google_service_account.function[k].email
    }
  }
}

output "ilb_forwarding_rule" {
  description = "Internal passthrough load balancer forwarding rule in front of the NAT MIG (route_mode \"ilb\"), or null."
  value       = var.route_mode == "ilb" ? google_compute_forwarding_rule.nat[0].self_link : null
}

output "nat_egress_ips" {
  description = "The fixed public IPs Cloud NAT gives the pipelines' egress: put these on the endpoint's allowlist."
  value       = google_compute_address.nat[*].address
}

output "nat_mig" {
  description = "Self link of the regional NAT managed instance group."
  value       = google_compute_region_instance_group_manager.nat.self_link
}

output "pipeline_root" {
  description = "Where pipeline jobs write their artifacts unless a request names its own gcsOutputDirectory (in the bucket this module creates, unless pipeline_root is set)."
  value       = local.pipeline_root
}

output "pipeline_templates" {
  description = "The Artifact Registry (Kubeflow Pipelines) repository of pipeline templates: upload there, and request templateUri <this>/<name>/<tag or version>."
  value       = "https://${google_artifact_registry_repository.pipelines.location}-kfp.pkg.dev/${var.project_id}/${google_artifact_registry_repository.pipelines.repository_id}"
}

output "psa_ranges" {
  description = "Private Service Access ranges allocated at start (name => CIDR); pass the names as reservedIpRanges."
  value       = { for n, a in google_compute_global_address.psa : n => "${a.address}/${a.prefix_length}" }
}

output "security_policy" {
  description = "Cloud Armor policy to attach to the inference endpoint's backend service."
  value       = google_compute_security_policy.inference.self_link
}

output "topics" {
  description = "Pub/Sub topics: tick (safety-net syncs), route_results, pipeline_requests (publish run requests here), pipeline_replies."
  value = {
    pipeline_replies  = google_pubsub_topic.pipeline_replies.id
    pipeline_requests = google_pubsub_topic.pipeline_requests.id
    route_results     = google_pubsub_topic.route_results.id
    tick              = google_pubsub_topic.tick.id
  }
}

output "vpc_a" {
  description = "VPC A network path as Vertex AI expects it in PipelineJob.network."
  value       = "projects/${data.google_project.this.number}/global/networks/${google_compute_network.vpc_a.name}"
}

output "vpc_b" {
  description = "Self link of VPC B (NAT egress side)."
  value       = google_compute_network.vpc_b.self_link
}

output "workflow" {
  description = "Workflow that prepares the egress path and runs a Vertex AI pipeline."
  value       = google_workflows_workflow.pipeline_run.id
}
