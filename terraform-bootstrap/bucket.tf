# The config bucket holding the allowlist file (you upload it; a finalized event makes armorAllowlist
# apply it), the request bucket holding pipelineRequests' claims (one object per request, created
# with ifGenerationMatch=0: the exactly-once lock), the source bucket holding the functions'
# source archive, peeringRanges' state bucket (each network's lease and reservations), and the
# pipeline root the Vertex AI pipeline jobs write their artifacts to. All
# private by construction: uniform access, public access prevention enforced. The config bucket
# keeps versions so a bad upload can be rolled back by restoring the previous generation, and so the
# allowlist's expiry can read back the last applied file while the live one is refused.

resource "google_storage_bucket" "config" {
  name                        = var.config_bucket_name
  location                    = upper(var.region)
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = var.labels
  versioning {
    enabled = true
  }
  # Old versions go by age, never by count: while the live file is refused or missing, the policies
  # keep the last file they were verified to hold and its entries still leave when they expire, read
  # back by that generation (shared/armor-allowlist/reconcile.ts). A rule by count (num_newer_versions)
  # would delete it after that many refused uploads during a stall. A year is far past any stall
  # `netreflex status` reports as BROKEN the whole time; each version is a few KiB.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 365
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
  depends_on = [google_project_service.enabled]
}

# Claims are only needed while a request can still be redelivered (Eventarc keeps messages 24 h);
# 30 days leaves room to look one up. Nothing else lives here, so destroy may empty it.
resource "google_storage_bucket" "requests" {
  name                        = var.request_bucket_name
  location                    = upper(var.region)
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true
  labels                      = var.labels
  lifecycle_rule {
    condition {
      age = 30
    }
    action {
      type = "Delete"
    }
  }
  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket" "source" {
  name                        = "${var.project_id}-${var.prefix}-source"
  location                    = upper(var.region)
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true
  labels                      = var.labels

  depends_on = [google_project_service.enabled]
}

# peeringRanges' state: one small object per network holding its lease (one preparation at a time,
# across function instances) and the reservations of prepared runs. No versioning: the objects are
# rewritten under generation preconditions on every lease and renewal, and old versions mean nothing.
resource "google_storage_bucket" "state" {
  name                        = "${var.project_id}-${var.prefix}-state"
  location                    = upper(var.region)
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true
  labels                      = var.labels

  depends_on = [google_project_service.enabled]
}

# The pipeline root: Vertex AI Pipelines stores each run's artifacts in Cloud Storage, under the
# PipelineJob's runtimeConfig.gcsOutputDirectory (REQUIRED), as the account the job runs as
# (https://cloud.google.com/vertex-ai/docs/pipelines/configure-project#storage). The workflow's
# default is gs://<this bucket>/runs (local.pipeline_root); the pipeline account may read and write
# objects here and in no other bucket (iam.tf). Run artifacts are your data: destroy leaves a
# bucket that still holds any (empty it first, or keep it with `terraform state rm`).
resource "google_storage_bucket" "pipelines" {
  name                        = "${var.project_id}-${var.prefix}-pipelines"
  location                    = upper(var.region)
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = var.labels

  depends_on = [google_project_service.enabled]
}
