# Least privilege: one service account per function and one for the workflow, each with a custom role
# holding only the permissions of the API methods it calls. For the functions those lists mirror
# shared/config/functions.ts (FUNCTIONS[].calls) mapped through shared/gcp/permissions.ts;
# test/terraform fails when a call lacks its permission or a permission is granted that no call needs.
# Only the Eventarc trigger account and the workflow account may invoke functions; no binding names
# allUsers or allAuthenticatedUsers.

locals {
  function_permissions = {
    natRoutes = [
      "compute.globalOperations.get",
      "compute.instanceGroupManagers.get",
      "compute.instances.get",
      "compute.instances.use",
      "compute.networks.get",
      "compute.networks.listPeeringRoutes",
      "compute.networks.updatePeering",
      "compute.networks.updatePolicy",
      "compute.routes.create",
      "compute.routes.delete",
      "compute.routes.get",
      "compute.routes.list",
      "pubsub.topics.publish",
    ]
    natRoutesSync = [
      "compute.globalOperations.get",
      "compute.instanceGroupManagers.get",
      "compute.instances.get",
      "compute.instances.use",
      "compute.networks.get",
      "compute.networks.listPeeringRoutes",
      "compute.networks.updatePeering",
      "compute.networks.updatePolicy",
      "compute.routes.create",
      "compute.routes.delete",
      "compute.routes.get",
      "compute.routes.list",
    ]
    armorAllowlist = [
      "compute.addresses.get",
      "compute.globalOperations.get",
      "compute.routers.get",
      "compute.securityPolicies.get",
      "compute.securityPolicies.list",
      "compute.securityPolicies.setLabels",
      "compute.securityPolicies.update",
      "storage.objects.get",
    ]
    peeringRanges = [
      "aiplatform.customJobs.list",
      "aiplatform.pipelineJobs.list",
      "compute.firewalls.get",
      "compute.firewalls.update",
      "compute.globalAddresses.createInternal",
      "compute.globalAddresses.get",
      "compute.globalAddresses.list",
      "compute.globalOperations.get",
      "compute.instanceGroupManagers.get",
      "compute.instanceGroupManagers.update",
      "compute.instanceTemplates.get",
      "compute.networks.get",
      "compute.networks.listPeeringRoutes",
      "compute.networks.updatePeering",
      "compute.networks.updatePolicy",
      "compute.networks.use",
      "compute.regionOperations.get",
      "compute.routers.get",
      "compute.routes.list",
      "compute.subnetworks.get",
      "servicenetworking.operations.get",
      "servicenetworking.services.addPeering",
      "servicenetworking.services.get",
      "storage.objects.create",
      "storage.objects.delete",
      "storage.objects.get",
    ]
    pipelineRequests = [
      "pubsub.topics.publish",
      "storage.objects.create",
      "storage.objects.delete",
      "storage.objects.get",
      "workflows.executions.create",
      "workflows.executions.list",
    ]
  }
  # The workflow reads the policy to check the egress IP is allowed, runs the pipeline job and
  # publishes the outcome to the requester; sys.log needs logging.logEntries.create. Calling
  # functions is the invoker binding below.
  workflow_permissions = [
    "aiplatform.pipelineJobs.create",
    "aiplatform.pipelineJobs.get",
    "compute.securityPolicies.get",
    "logging.logEntries.create",
    "pubsub.topics.publish",
  ]
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

# Vertex AI runs the pipeline job as this account; the workflow must be allowed to hand it over.
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
