# Least privilege, per function and per resource. Every function and the workflow has its own
# service account. What each may do is exactly what the API methods it really calls need — the
# end-to-end tests run every function and the workflow as these accounts under these roles, and
# test/iam/usage.test.ts fails on any call refused and on any permission no call used — granted as
# narrowly as Google allows:
#
# - on the one resource it changes, where the resource has its own IAM policy: publisher on the
#   one topic (natRoutes: route results; pipelineRequests and the workflow: replies), object viewer
#   on the config bucket (armorAllowlist), the claims role on the request bucket (pipelineRequests),
#   the same object access on the state bucket (peeringRanges' leases and reservations), object
#   viewer on the pipeline bucket (the workflow: compiled pipeline templates);
# - through an IAM condition on resource.name, where the resource has no policy of its own but IAM
#   evaluates its name (Compute Engine: https://cloud.google.com/iam/docs/conditions-resource-attributes#resource-name):
#   routes named "${var.prefix}-*", VPC A, the Cloud Armor policy, the PSA firewall rule, the NAT
#   MIG and the PSA ranges named "netreflex-psa-*" (local._function_scoped);
# - on the project, only where Google offers nothing narrower: the reads; Workflows executions
#   (Workflows has project-level roles only, https://cloud.google.com/workflows/docs/access-control),
#   so only pipelineRequests may start the workflow; Service Networking's addPeering and Vertex AI's
#   job lists (no resource-level policy or resource attributes for conditions); compute.instances.use,
#   which only lets a route name a VM as next hop — creating the route is what the condition limits.
#
# test/terraform/least-privilege.test.ts holds every binding to this, with a planted mistake for
# each rule, and the local Google Cloud grants exactly these bindings (local/terraform/iam.ts).
# Only the Eventarc trigger account and the workflow account may invoke functions; no binding names
# allUsers or allAuthenticatedUsers.

locals {
  # What each function holds on the whole project.
  function_permissions = {
    natRoutes = [
      "compute.forwardingRules.get",
      "compute.forwardingRules.use",
      "compute.globalOperations.get",
      "compute.instanceGroupManagers.get",
      "compute.instances.get",
      "compute.instances.use",
      "compute.networks.get",
      "compute.networks.listPeeringRoutes",
      "compute.regionBackendServices.get",
      "compute.routes.get",
      "compute.routes.list",
    ]
    natRoutesSync = [
      "compute.forwardingRules.get",
      "compute.forwardingRules.use",
      "compute.globalOperations.get",
      "compute.instanceGroupManagers.get",
      "compute.instances.get",
      "compute.instances.use",
      "compute.networks.get",
      "compute.networks.listPeeringRoutes",
      "compute.regionBackendServices.get",
      "compute.routes.get",
      "compute.routes.list",
    ]
    armorAllowlist = [
      "compute.addresses.get",
      "compute.globalOperations.get",
      "compute.routers.get",
      "compute.securityPolicies.get",
      "compute.securityPolicies.list",
    ]
    armorAllowlistVerify = [
      "compute.securityPolicies.get",
    ]
    peeringRanges = [
      "aiplatform.customJobs.list",
      "aiplatform.pipelineJobs.list",
      "compute.firewalls.get",
      "compute.globalAddresses.get",
      "compute.globalAddresses.list",
      "compute.globalOperations.get",
      "compute.instanceGroupManagers.get",
      "compute.instanceTemplates.get",
      "compute.networks.get",
      "compute.networks.listPeeringRoutes",
      "compute.regionOperations.get",
      "compute.routers.get",
      "compute.routes.list",
      "compute.subnetworks.get",
      "servicenetworking.operations.get",
      "servicenetworking.services.addPeering",
      "servicenetworking.services.get",
    ]
    pipelineRequests = [
      "workflows.executions.create",
      "workflows.executions.list",
    ]
  }
  # Compute Engine writes, each limited by a condition to the resource netreflex owns.
  _function_scoped = {
    natRoutes_routes = {
      function    = "natRoutes"
      permissions = ["compute.routes.create", "compute.routes.delete"]
      title       = "netreflex routes only"
      expression  = "resource.name.startsWith(\"projects/${var.project_id}/global/routes/${var.prefix}-\")"
    }
    natRoutes_network = {
      function    = "natRoutes"
      permissions = ["compute.networks.updatePeering", "compute.networks.updatePolicy"]
      title       = "VPC A only"
      expression  = "resource.name == \"projects/${var.project_id}/global/networks/${var.vpc_a_name}\""
    }
    natRoutesSync_routes = {
      function    = "natRoutesSync"
      permissions = ["compute.routes.create", "compute.routes.delete"]
      title       = "netreflex routes only"
      expression  = "resource.name.startsWith(\"projects/${var.project_id}/global/routes/${var.prefix}-\")"
    }
    natRoutesSync_network = {
      function    = "natRoutesSync"
      permissions = ["compute.networks.updatePeering", "compute.networks.updatePolicy"]
      title       = "VPC A only"
      expression  = "resource.name == \"projects/${var.project_id}/global/networks/${var.vpc_a_name}\""
    }
    armorAllowlist_policy = {
      function    = "armorAllowlist"
      permissions = ["compute.securityPolicies.setLabels", "compute.securityPolicies.update"]
      title       = "the inference policy only"
      expression  = "resource.name == \"projects/${var.project_id}/global/securityPolicies/${var.armor_policy_name}\""
    }
    peeringRanges_network = {
      function    = "peeringRanges"
      permissions = ["compute.networks.updatePeering", "compute.networks.updatePolicy", "compute.networks.use"]
      title       = "VPC A only"
      expression  = "resource.name == \"projects/${var.project_id}/global/networks/${var.vpc_a_name}\""
    }
    peeringRanges_firewall = {
      function    = "peeringRanges"
      permissions = ["compute.firewalls.update"]
      title       = "the PSA firewall rule only"
      expression  = "resource.name == \"projects/${var.project_id}/global/firewalls/allow-psa-to-nat\""
    }
    peeringRanges_mig = {
      function    = "peeringRanges"
      permissions = ["compute.instanceGroupManagers.update"]
      title       = "the NAT MIG only"
      expression  = "resource.name == \"projects/${var.project_id}/regions/${var.region}/instanceGroupManagers/${var.nat_mig_name}\""
    }
    peeringRanges_ranges = {
      function    = "peeringRanges"
      permissions = ["compute.globalAddresses.createInternal"]
      title       = "netreflex PSA ranges only"
      expression  = "resource.name.startsWith(\"projects/${var.project_id}/global/addresses/netreflex-psa-\")"
    }
  }
  # The workflow runs the pipeline job as the pipeline account; sys.log needs
  # logging.logEntries.create. It reads no Cloud Armor policy itself: armorAllowlistVerify judges
  # the egress IPs. Publishing the reply is the topic binding below; calling functions (run.invoker
  # on peeringRanges, natRoutesSync and armorAllowlistVerify only) is the invoker binding.
  workflow_permissions = [
    "aiplatform.pipelineJobs.create",
    "aiplatform.pipelineJobs.get",
    "logging.logEntries.create",
  ]
  # Objects written under generation preconditions — pipelineRequests' claims in the request bucket,
  # peeringRanges' leases in the state bucket: create-only, read, and replace (which Cloud Storage
  # counts as delete). Each is granted on its one bucket only.
  claims_permissions = ["storage.objects.create", "storage.objects.delete", "storage.objects.get"]
  _invoker_members = {
    eventarc = "serviceAccount:${google_service_account.eventarc.email}"
    workflow = "serviceAccount:${google_service_account.workflow.email}"
  }
  _invoker_bindings = merge([
    for fn, spec in local.functions : {
      for who in spec.invokers : "${fn}/${who}" => { function = fn, member = local._invoker_members[who] }
    }
  ]...)
  _role_prefix = replace(var.prefix, "-", "_")
}

resource "google_service_account" "function" {
  for_each     = local.functions
  account_id   = "${var.prefix}-${each.value.name}"
  display_name = "netreflex ${each.key} function"
  description  = each.value.description

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_custom_role" "function" {
  for_each    = local.function_permissions
  role_id     = "${local._role_prefix}_${each.key}"
  title       = "netreflex ${each.key}"
  description = "Exactly the permissions of the API methods netreflex ${each.key} calls."
  permissions = each.value

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_member" "function" {
  for_each = local.function_permissions
  project  = var.project_id
  role     = google_project_iam_custom_role.function[each.key].name
  member   = "serviceAccount:${google_service_account.function[each.key].email}"
}

resource "google_project_iam_custom_role" "function_scoped" {
  for_each    = local._function_scoped
  role_id     = "${local._role_prefix}_${each.key}"
  title       = "netreflex ${each.key}"
  description = "${each.value.function}: writes limited by condition to ${each.value.title}."
  permissions = each.value.permissions

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_member" "function_scoped" {
  for_each = local._function_scoped
  project  = var.project_id
  role     = google_project_iam_custom_role.function_scoped[each.key].name
  member   = "serviceAccount:${google_service_account.function[each.value.function].email}"
  condition {
    title      = each.value.title
    expression = each.value.expression
  }
}

# Publisher on the one topic each writes to: natRoutes its reports, pipelineRequests (rejections)
# and the workflow (outcomes) the replies. No account of netreflex may publish a pipeline request.
resource "google_pubsub_topic_iam_member" "natroutes_results" {
  topic  = google_pubsub_topic.route_results.name
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${google_service_account.function["natRoutes"].email}"
}

resource "google_pubsub_topic_iam_member" "pipelinerequests_replies" {
  topic  = google_pubsub_topic.pipeline_replies.name
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${google_service_account.function["pipelineRequests"].email}"
}

resource "google_pubsub_topic_iam_member" "workflow_replies" {
  topic  = google_pubsub_topic.pipeline_replies.name
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${google_service_account.workflow.email}"
}

# armorAllowlist reads the allowlist file: object viewer on the config bucket, nothing else.
resource "google_storage_bucket_iam_member" "allowlist_reader" {
  bucket = google_storage_bucket.config.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.function["armorAllowlist"].email}"
}

resource "google_project_iam_custom_role" "claims" {
  role_id     = "${local._role_prefix}_pipelineRequests_claims"
  title       = "netreflex pipelineRequests claims"
  description = "Create, read and replace the request claims in the request bucket (granted on that bucket only)."
  permissions = local.claims_permissions

  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket_iam_member" "claims" {
  bucket = google_storage_bucket.requests.name
  role   = google_project_iam_custom_role.claims.name
  member = "serviceAccount:${google_service_account.function["pipelineRequests"].email}"
}

# peeringRanges' lease and reservations: one object per network in the state bucket, created,
# read and replaced under generation preconditions (shared/peering-ranges/lease.ts) — on that bucket only.
resource "google_project_iam_custom_role" "ranges_state" {
  role_id     = "${local._role_prefix}_peeringRanges_state"
  title       = "netreflex peeringRanges state"
  description = "Create, read and replace peeringRanges' lease and reservation objects (granted on the state bucket only)."
  permissions = local.claims_permissions

  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket_iam_member" "ranges_state" {
  bucket = google_storage_bucket.state.name
  role   = google_project_iam_custom_role.ranges_state.name
  member = "serviceAccount:${google_service_account.function["peeringRanges"].email}"
}

resource "google_service_account" "workflow" {
  account_id   = "${var.prefix}-workflow"
  display_name = "netreflex vertex-pipeline-run workflow"

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_custom_role" "workflow" {
  role_id     = "${local._role_prefix}_workflow"
  title       = "netreflex workflow"
  description = "Exactly the permissions the vertex-pipeline-run workflow's connector calls need."
  permissions = local.workflow_permissions

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_member" "workflow" {
  project = var.project_id
  role    = google_project_iam_custom_role.workflow.name
  member  = "serviceAccount:${google_service_account.workflow.email}"
}

# Vertex AI runs the pipeline jobs as a dedicated account with only what pipelines need, not the
# Compute Engine default account (which often holds Editor): running a job as an account is
# acting as it, so whoever can start the workflow could otherwise run code with far more. The
# workflow may act as this one account only.
resource "google_service_account" "pipelines" {
  account_id   = "${var.prefix}-pipelines"
  display_name = "netreflex Vertex AI pipeline jobs"
  description  = "The account Vertex AI runs netreflex's pipeline jobs as."

  depends_on = [google_project_service.enabled]
}

locals {
  # What a pipeline job needs (https://cloud.google.com/vertex-ai/docs/pipelines/configure-project#service-account):
  # create the component jobs (Vertex AI User) and write their logs; Vertex AI's own service agent
  # pulls the component images. Its output location (the pipeline root) is granted on that bucket
  # only (google_storage_bucket_iam_member.pipelines_root).
  pipeline_roles = ["roles/aiplatform.user", "roles/logging.logWriter"]
}

resource "google_project_iam_member" "pipelines" {
  for_each = toset(local.pipeline_roles)
  project  = var.project_id
  role     = each.value
  member   = "serviceAccount:${google_service_account.pipelines.email}"
}

# The pipeline launcher starts each component as the same account, which is acting as it.
resource "google_service_account_iam_member" "pipelines_act_as_self" {
  service_account_id = google_service_account.pipelines.id
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.pipelines.email}"
}

# The pipeline root (bucket.tf): pipeline jobs read and write their run artifacts there — object
# access on that one bucket, not on the project (Storage Object User: objects only, no IAM, no
# bucket settings).
resource "google_storage_bucket_iam_member" "pipelines_root" {
  bucket = google_storage_bucket.pipelines.name
  role   = "roles/storage.objectUser"
  member = "serviceAccount:${local.pipeline_service_account}"
}

# The workflow reads a run's compiled pipeline (templateUri gs://…/….json) and sends it as the
# PipelineJob's pipelineSpec (Vertex AI takes only Template Registry URIs as templateUri,
# google/cloud/aiplatform/v1/pipeline_job.proto): object viewer on the pipeline bucket, its
# templates/ among the run outputs, and no other bucket.
resource "google_storage_bucket_iam_member" "workflow_templates" {
  bucket = google_storage_bucket.pipelines.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.workflow.email}"
}

resource "google_service_account_iam_member" "workflow_acts_as_pipeline" {
  service_account_id = "projects/${var.project_id}/serviceAccounts/${local.pipeline_service_account}"
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.workflow.email}"
}

# Eventarc delivers every trigger's events with this identity.
resource "google_service_account" "eventarc" {
  account_id   = "${var.prefix}-eventarc"
  display_name = "netreflex Eventarc triggers"

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_member" "eventarc_receiver" {
  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = "serviceAccount:${google_service_account.eventarc.email}"
}

# Cloud Storage publishes the config bucket's object events to Pub/Sub for Eventarc.
data "google_storage_project_service_account" "gcs" {
  project = var.project_id

  depends_on = [google_project_service.enabled]
}

# Project-wide because the topic is Eventarc's transport topic for the bucket trigger, which
# Eventarc creates and names (https://cloud.google.com/eventarc/docs/run/create-trigger-storage-gcloud#before-you-begin).
resource "google_project_iam_member" "gcs_agent_publisher" {
  project = var.project_id
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
}

# Invokers: per function, only the accounts listed in local.functions[*].invokers.
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = local._invoker_bindings
  location = var.region
  name     = google_cloudfunctions2_function.default[each.value.function].service_config[0].service
  role     = "roles/run.invoker"
  member   = each.value.member
}
