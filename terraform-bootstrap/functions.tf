# The netreflex Cloud Functions (2nd gen), all built from this repository: the repo root is zipped
# (without node_modules, tests, Terraform), uploaded to the source bucket, and built by Cloud Build
# with the Node.js buildpack, which runs `npm run gcp-build` (tsc) and serves dist/functions/index.js.
#
# `local.functions` has one entry per function, keyed by the entry point exported by
# functions/index.ts. `env` is a literal map (no merge()) so the checks can read its keys; it must hold exactly the variables the function's config loader reads
# (shared/config/functions.ts, FUNCTIONS[].env) except NETREFLEX_EMULATOR_HOST and GCE_METADATA_HOST, which only point a
# local run at the emulator: test/terraform checks both. Values are strings; an empty string means
# "unset" to the loaders. `permissions` (iam.tf) and `invokers` (who may call the function) follow.

locals {
  _source_excludes = [
    ".git", ".git/**", "node_modules", "node_modules/**", "dist", "dist/**", "test", "test/**",
    "bench", "bench/**", ".ci", ".ci/**", ".netreflex", ".netreflex/**",
    "terraform-bootstrap", "terraform-bootstrap/**",
  ]
  functions = {
    natRoutes = {
      name        = "nat-routes"
      folder      = "functions/nat-routes"
      description = "Rebuilds the exported routes to the NAT VMs when the NAT MIG's instances change."
      memory      = "512Mi"
      timeout     = 300
      invokers    = ["eventarc"]
      env = {
        NETREFLEX_PROJECT                = var.project_id
        NETREFLEX_PROJECT_NUMBER         = data.google_project.this.number
        NETREFLEX_REGION                 = var.region
        NETREFLEX_LOG_LEVEL              = var.log_level
        NETREFLEX_NETWORK                = google_compute_network.vpc_a.name
        NETREFLEX_NAT_MIG                = google_compute_region_instance_group_manager.nat.name
        NETREFLEX_DESTINATIONS           = join(",", var.destinations)
        NETREFLEX_ROUTE_PRIORITY         = tostring(var.route_priority)
        NETREFLEX_ROUTE_PREFIX           = var.prefix
        NETREFLEX_ROUTE_MODE             = var.route_mode
        NETREFLEX_ILB_FORWARDING_RULE    = var.route_mode == "ilb" ? google_compute_forwarding_rule.nat[0].name : ""
        NETREFLEX_ROUTE_POLICY           = "sync"
        NETREFLEX_PEERING                = google_service_networking_connection.psa.peering
        NETREFLEX_EXPORT_MODE            = "ensure"
        NETREFLEX_REQUIRE_HEALTHY        = "true"
        NETREFLEX_RESULT_TOPIC           = google_pubsub_topic.route_results.name
        NETREFLEX_SETTLE_TIMEOUT_SECONDS = "240"
        NETREFLEX_SETTLE_POLL_MS         = "5000"
        NETREFLEX_JOIN_HOLD_SECONDS      = tostring(var.nat_join_hold_seconds)
        NETREFLEX_UNHEALTHY_HOLD_SECONDS = tostring(var.nat_unhealthy_hold_seconds)
      }
    }
    # The same reconciler over HTTP: the workflow's "routes rebuilt and exported" step before a run
    # (functions/nat-routes/http.ts); 200 verified, 503 retry, 422 not usable.
    natRoutesSync = {
      name        = "nat-routes-sync"
      folder      = "functions/nat-routes"
      description = "Rebuilds and verifies the exported NAT routes on request, before a pipeline run."
      memory      = "512Mi"
      timeout     = 300
      invokers    = ["workflow"]
      env = {
        NETREFLEX_PROJECT                = var.project_id
        NETREFLEX_PROJECT_NUMBER         = data.google_project.this.number
        NETREFLEX_REGION                 = var.region
        NETREFLEX_LOG_LEVEL              = var.log_level
        NETREFLEX_NETWORK                = google_compute_network.vpc_a.name
        NETREFLEX_NAT_MIG                = google_compute_region_instance_group_manager.nat.name
        NETREFLEX_DESTINATIONS           = join(",", var.destinations)
        NETREFLEX_ROUTE_PRIORITY         = tostring(var.route_priority)
        NETREFLEX_ROUTE_PREFIX           = var.prefix
        NETREFLEX_ROUTE_MODE             = var.route_mode
        NETREFLEX_ILB_FORWARDING_RULE    = var.route_mode == "ilb" ? google_compute_forwarding_rule.nat[0].name : ""
        NETREFLEX_ROUTE_POLICY           = "sync"
        NETREFLEX_PEERING                = google_service_networking_connection.psa.peering
        NETREFLEX_EXPORT_MODE            = "ensure"
        NETREFLEX_REQUIRE_HEALTHY        = "true"
        NETREFLEX_RESULT_TOPIC           = ""
        NETREFLEX_SETTLE_TIMEOUT_SECONDS = "240"
        NETREFLEX_SETTLE_POLL_MS         = "5000"
        NETREFLEX_JOIN_HOLD_SECONDS      = tostring(var.nat_join_hold_seconds)
        NETREFLEX_UNHEALTHY_HOLD_SECONDS = tostring(var.nat_unhealthy_hold_seconds)
      }
    }
    armorAllowlist = {
      name        = "armor-allowlist"
      folder      = "functions/armor-allowlist"
      description = "Keeps the Cloud Armor allow rules in step with the allowlist file in the config bucket."
      memory      = "512Mi"
      timeout     = 300
      invokers    = ["eventarc"]
      env = {
        NETREFLEX_PROJECT          = var.project_id
        NETREFLEX_REGION           = var.region
        NETREFLEX_LOG_LEVEL        = var.log_level
        NETREFLEX_CONFIG_BUCKET    = google_storage_bucket.config.name
        NETREFLEX_ALLOWLIST_OBJECT = var.allowlist_object
        NETREFLEX_ALLOWLIST_POLICY = "sync"
        NETREFLEX_ARMOR_RULE_QUOTA = tostring(var.armor_rule_quota)
      }
    }
    # The workflow's egress check before a run (functions/armor-allowlist/verify.ts): whether the
    # Cloud Armor policy allows each egress IP, judged by the allowlist reconciler's own verdict;
    # 200 allowed, 422 denied or not judgeable (the run stops), 503 retry. Reads the policy only.
    armorAllowlistVerify = {
      name        = "armor-allowlist-verify"
      folder      = "functions/armor-allowlist"
      description = "Checks, for the pipeline workflow, that the Cloud Armor policy allows every egress IP."
      memory      = "256Mi"
      timeout     = 60
      invokers    = ["workflow"]
      env = {
        NETREFLEX_PROJECT   = var.project_id
        NETREFLEX_REGION    = var.region
        NETREFLEX_LOG_LEVEL = var.log_level
      }
    }
    peeringRanges = {
      name        = "peering-ranges"
      folder      = "functions/peering-ranges"
      description = "Prepares Private Service Access capacity, return paths and preflight before a Vertex AI pipeline run."
      memory      = "512Mi"
      timeout     = 540
      invokers    = ["workflow"]
      env = {
        NETREFLEX_PROJECT                  = var.project_id
        NETREFLEX_REGION                   = var.region
        NETREFLEX_LOG_LEVEL                = var.log_level
        NETREFLEX_NETWORK                  = google_compute_network.vpc_a.name
        NETREFLEX_PEERING                  = google_service_networking_connection.psa.peering
        NETREFLEX_PSA_POOL                 = var.psa_pool
        NETREFLEX_RESERVED_RANGES          = join(",", var.reserved_ranges)
        NETREFLEX_PSA_FIREWALL             = google_compute_firewall.psa_to_nat.name
        NETREFLEX_NAT_MIG                  = google_compute_region_instance_group_manager.nat.name
        NETREFLEX_NAT_ROUTER               = google_compute_router.nat.name
        NETREFLEX_NAT_NAME                 = google_compute_router_nat.nat.name
        NETREFLEX_PROJECT_NUMBER           = data.google_project.this.number
        NETREFLEX_VERTEX_RANGES            = join(",", keys(var.psa_ranges))
        NETREFLEX_STATE_BUCKET             = google_storage_bucket.state.name
        NETREFLEX_RANGES_LEASE_TTL_SECONDS = 60
      }
    }
    pipelineRequests = {
      name        = "pipeline-requests"
      folder      = "functions/pipeline-requests"
      description = "Validates pipeline run requests from Pub/Sub and starts the vertex-pipeline-run workflow once per request."
      memory      = "256Mi"
      # Shorter than the claim lease (NETREFLEX_REQUEST_LEASE_SECONDS): a holder that times out
      # leaves a claim another delivery may take over.
      timeout  = 60
      invokers = ["eventarc"]
      env = {
        NETREFLEX_PROJECT               = var.project_id
        NETREFLEX_REGION                = var.region
        NETREFLEX_LOG_LEVEL             = var.log_level
        NETREFLEX_WORKFLOW              = local.workflow_name
        NETREFLEX_REPLY_TOPIC           = google_pubsub_topic.pipeline_replies.name
        NETREFLEX_REQUEST_BUCKET        = google_storage_bucket.requests.name
        NETREFLEX_REQUEST_LEASE_SECONDS = "120"
      }
    }
  }
}

data "archive_file" "source" {
  type        = "zip"
  source_dir  = "${path.module}/.."
  output_path = "${path.module}/.build/netreflex-source.zip"
  excludes    = local._source_excludes
}

resource "google_storage_bucket_object" "source" {
  name   = "netreflex-source-${data.archive_file.source.output_md5}.zip"
  bucket = google_storage_bucket.source.name
  source = data.archive_file.source.output_path
}

resource "google_cloudfunctions2_function" "default" {
  for_each    = local.functions
  name        = "${var.prefix}-${each.value.name}"
  location    = var.region
  description = each.value.description
  labels      = var.labels
  build_config {
    runtime         = "nodejs20"
    entry_point     = each.key
    service_account = google_service_account.build.id
    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }
  service_config {
    available_memory               = each.value.memory
    timeout_seconds                = each.value.timeout
    max_instance_count             = 3
    ingress_settings               = "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision = true
    service_account_email          = google_service_account.function[each.key].email
    environment_variables          = each.value.env
  }
  # Built by the dedicated build account (project.tf), once it holds its roles; destroyed before
  # the teardown of what the functions made (teardown.tf), so nothing recreates it meanwhile.
  depends_on = [google_project_iam_member.build, google_storage_bucket_iam_member.build_source, terraform_data.teardown]
}
