# What the pipeline teams use: the repository their pipeline templates live in, and who may ask
# for a run and hear how it ended.
#
# Templates: a request's templateUri becomes the PipelineJob's template_uri, which Vertex AI
# downloads the compiled pipeline from; Google supports only the Template Registry there — a
# Kubeflow Pipelines repository in Artifact Registry
# (google/cloud/aiplatform/v1/pipeline_job.proto, template_uri;
# https://cloud.google.com/vertex-ai/docs/pipelines/create-pipeline-template). Teams upload with
# the KFP client (`RegistryClient(host=<pipeline_templates output>).upload_pipeline(...)`) and
# request `<pipeline_templates>/<name>/<tag or version>`. The account the jobs run as and the
# workflow that creates them may read that one repository, nothing else in Artifact Registry.
#
# Requests: each principal of var.pipeline_requesters may publish to the request topic (and no
# other), upload templates to the repository, and attach its own subscription to the reply topic
# (pubsub.topics.attachSubscription, from a project of its own; filter on the requestId attribute
# to hear only its runs). Nothing else of the project.

resource "google_artifact_registry_repository" "pipelines" {
  location      = var.region
  repository_id = "${var.prefix}-pipelines"
  format        = "KFP"
  description   = "netreflex: compiled Vertex AI pipeline templates the pipeline teams run through vertex-pipeline-run."
  labels        = var.labels

  depends_on = [google_project_service.enabled]
}

locals {
  _template_readers = {
    pipelines = "serviceAccount:${local.pipeline_service_account}"
    workflow  = "serviceAccount:${google_service_account.workflow.email}"
  }
}

resource "google_artifact_registry_repository_iam_member" "template_readers" {
  for_each   = local._template_readers
  location   = google_artifact_registry_repository.pipelines.location
  repository = google_artifact_registry_repository.pipelines.name
  role       = "roles/artifactregistry.reader"
  member     = each.value
}

resource "google_artifact_registry_repository_iam_member" "template_writers" {
  for_each   = toset(var.pipeline_requesters)
  location   = google_artifact_registry_repository.pipelines.location
  repository = google_artifact_registry_repository.pipelines.name
  role       = "roles/artifactregistry.writer"
  member     = each.value
}

resource "google_pubsub_topic_iam_member" "requesters" {
  for_each = toset(var.pipeline_requesters)
  topic    = google_pubsub_topic.pipeline_requests.name
  role     = "roles/pubsub.publisher"
  member   = each.value
}

resource "google_pubsub_topic_iam_member" "reply_subscribers" {
  for_each = toset(var.pipeline_requesters)
  topic    = google_pubsub_topic.pipeline_replies.name
  role     = "roles/pubsub.subscriber"
  member   = each.value
}
