# What a fresh project needs before anything else: the APIs, the Google-managed service agents the
# triggers and the Private Service Access connection act through, and the account Cloud Build
# builds the functions as.

locals {
  # Every API this module creates resources in, and every API the functions and the workflow call
  # at run time (test/terraform/fresh-project.test.ts derives the list from both and compares).
  _services = [
    "aiplatform.googleapis.com",           # Vertex AI pipeline jobs (workflow, peeringRanges' preflight)
    "artifactregistry.googleapis.com",     # the functions' build images
    "cloudbuild.googleapis.com",           # builds the functions from source
    "cloudfunctions.googleapis.com",       # the functions
    "cloudresourcemanager.googleapis.com", # project IAM bindings, data.google_project
    "cloudscheduler.googleapis.com",       # the safety-net tick
    "compute.googleapis.com",              # networks, NAT VMs, routes, Cloud Armor
    "eventarc.googleapis.com",             # triggers
    "iam.googleapis.com",                  # service accounts, custom roles
    "iamcredentials.googleapis.com",       # OIDC tokens of the workflow and the triggers
    "logging.googleapis.com",              # log-based metrics
    "monitoring.googleapis.com",           # alert policies, dashboard
    "pubsub.googleapis.com",               # topics
    "run.googleapis.com",                  # the functions' Cloud Run services, invoker bindings
    "servicenetworking.googleapis.com",    # the Private Service Access connection
    "storage.googleapis.com",              # buckets
    "workflowexecutions.googleapis.com",   # pipelineRequests starts executions
    "workflows.googleapis.com",            # the workflow
  ]
  # The service agents that must exist (and hold their role) before the resources that act through
  # them: Eventarc's for the triggers, Pub/Sub's for push deliveries, Service Networking's for the
  # connection (the provider's known first-apply races; the agent exists only once asked for).
  _service_agents = {
    eventarc          = { service = "eventarc.googleapis.com", role = "roles/eventarc.serviceAgent" }
    pubsub            = { service = "pubsub.googleapis.com", role = null }
    servicenetworking = { service = "servicenetworking.googleapis.com", role = "roles/servicenetworking.serviceAgent" }
  }
}

# disable_on_destroy = false: destroying netreflex must not turn off an API something else in the
# project uses (https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/google_project_service).
resource "google_project_service" "enabled" {
  for_each                   = toset(local._services)
  project                    = var.project_id
  service                    = each.value
  disable_on_destroy         = false
  disable_dependent_services = false
}

# google_project_service_identity (google-beta) creates the agent at once instead of on first use
# (https://registry.terraform.io/providers/hashicorp/google-beta/latest/docs/resources/project_service_identity).
resource "google_project_service_identity" "agent" {
  provider = google-beta
  for_each = local._service_agents
  project  = var.project_id
  service  = each.value.service

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_member" "service_agent" {
  for_each = { for k, v in local._service_agents : k => v if v.role != null }
  project  = var.project_id
  role     = each.value.role
  member   = "serviceAccount:${google_project_service_identity.agent[each.key].email}"
}

# Pub/Sub agents created before 2021-04-08 lack what authenticated push deliveries to the functions
# need; Eventarc's guide has it granted (https://cloud.google.com/eventarc/docs/run/create-trigger-pubsub-gcloud#before-you-begin).
# Newer agents hold it already, so granting it always makes the module apply on any project.
resource "google_project_iam_member" "pubsub_agent_token_creator" {
  project = var.project_id
  role    = "roles/iam.serviceAccountTokenCreator"
  member  = "serviceAccount:${google_project_service_identity.agent["pubsub"].email}"
}

# IAM is eventually consistent: a role granted to a new agent is not in force at once, and Eventarc
# refuses a trigger until its agent can act ("Invalid argument: ... service agent ... permission").
# Everything that acts through an agent waits for this.
resource "time_sleep" "service_agents" {
  create_duration = "90s"
  depends_on      = [google_project_iam_member.service_agent, google_project_iam_member.pubsub_agent_token_creator]
}

# Cloud Functions builds run as this account instead of the default Cloud Build / Compute Engine
# account, which new projects no longer grant what a build needs (Cloud Build service account
# change, July 2024). Its roles are the ones the Cloud Functions guide lists for a custom build
# account (https://cloud.google.com/functions/docs/securing/build-custom-sa): logs, the images it
# pushes, and the source it reads — the source bucket only.
resource "google_service_account" "build" {
  account_id   = "${var.prefix}-build"
  display_name = "netreflex function builds"
  description  = "Cloud Build builds the netreflex functions as this account."
  depends_on   = [google_project_service.enabled]
}

locals {
  # Project-wide because Cloud Functions creates the gcf-artifacts repository on the first build,
  # so there is no repository to bind to before it.
  _build_project_roles = ["roles/artifactregistry.writer", "roles/logging.logWriter"]
}

resource "google_project_iam_member" "build" {
  for_each = toset(local._build_project_roles)
  project  = var.project_id
  role     = each.value
  member   = "serviceAccount:${google_service_account.build.email}"
}

resource "google_storage_bucket_iam_member" "build_source" {
  bucket = google_storage_bucket.source.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.build.email}"
}
