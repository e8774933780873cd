# The config bucket holding the allowlist file (you upload it; a finalized event makes armorAllowlist
# apply it), and the source bucket holding the functions' source archive. Both private by
# construction: uniform access, public access prevention enforced. The config bucket keeps versions
# so a bad upload can be rolled back by restoring the previous generation.

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
  lifecycle_rule {
    condition {
      num_newer_versions = 20
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket" "source" {
  name                        = "${var.project_id}-${var.prefix}-source"
  location                    = upper(var.region)
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true
  labels                      = var.labels
}
