# What makes the functions run: Pub/Sub topics, Eventarc triggers, and the Cloud Scheduler tick.
# Delivery is at least once and unordered; every function reads the current state instead of
# trusting the event, so duplicate or late events are harmless.

locals {
  # Admin Activity audit logs (always on) of the changes that move NAT VMs. Eventarc matches method
  # names exactly, so each gets its own trigger. An autoheal is a system event and emits none of
  # these: the safety-net tick below covers it.
  _nat_audit_methods = {
    "instances-insert"     = "v1.compute.instances.insert"
    "instances-delete"     = "v1.compute.instances.delete"
    "mig-recreate"         = "v1.compute.regionInstanceGroupManagers.recreateInstances"
    "mig-resize"           = "v1.compute.regionInstanceGroupManagers.resize"
    "mig-delete-instances" = "v1.compute.regionInstanceGroupManagers.deleteInstances"
    "mig-apply-updates"    = "v1.compute.regionInstanceGroupManagers.applyUpdatesToInstances"
    "mig-patch"            = "v1.compute.regionInstanceGroupManagers.patch"
  }
  # Functions the safety-net tick wakes up.
  _tick_subscribers = toset(["natRoutes", "armorAllowlist"])
}

resource "google_pubsub_topic" "tick" {
  name   = "${var.prefix}-tick"
  labels = var.labels
}

resource "google_pubsub_topic" "route_results" {
  name   = "${var.prefix}-route-results"
  labels = var.labels
}

resource "google_pubsub_topic" "pipeline_requests" {
  name   = "${var.prefix}-pipeline-requests"
  labels = var.labels
}

resource "google_pubsub_topic" "pipeline_replies" {
  name   = "${var.prefix}-pipeline-replies"
  labels = var.labels
}

resource "google_cloud_scheduler_job" "tick" {
  name        = "${var.prefix}-tick"
  region      = var.region
  description = "Safety-net sync of the NAT routes and the Cloud Armor allowlist."
  schedule    = var.safety_net_schedule
  time_zone   = var.time_zone
  pubsub_target {
    topic_name = google_pubsub_topic.tick.id
    data       = base64encode(jsonencode({ reason = "schedule" }))
  }
}

resource "google_eventarc_trigger" "nat_audit" {
  for_each        = local._nat_audit_methods
  name            = "${var.prefix}-nat-${each.key}"
  location        = var.region
  service_account = google_service_account.eventarc.email
  labels          = var.labels
  matching_criteria {
    attribute = "type"
    value     = "google.cloud.audit.log.v1.written"
  }
  matching_criteria {
    attribute = "serviceName"
    value     = "compute.googleapis.com"
  }
  matching_criteria {
    attribute = "methodName"
    value     = each.value
  }
  destination {
    cloud_run_service {
      service = google_cloudfunctions2_function.default["natRoutes"].service_config[0].service
      region  = var.region
    }
  }
  depends_on = [google_project_iam_member.eventarc_receiver]
}

resource "google_eventarc_trigger" "tick" {
  for_each        = local._tick_subscribers
  name            = "${var.prefix}-tick-${local.functions[each.key].name}"
  location        = var.region
  service_account = google_service_account.eventarc.email
  labels          = var.labels
  matching_criteria {
    attribute = "type"
    value     = "google.cloud.pubsub.topic.v1.messagePublished"
  }
  transport {
    pubsub {
      topic = google_pubsub_topic.tick.id
    }
  }
  destination {
    cloud_run_service {
      service = google_cloudfunctions2_function.default[each.key].service_config[0].service
      region  = var.region
    }
  }
}

resource "google_eventarc_trigger" "allowlist_finalized" {
  name            = "${var.prefix}-allowlist-finalized"
  location        = var.region
  service_account = google_service_account.eventarc.email
  labels          = var.labels
  matching_criteria {
    attribute = "type"
    value     = "google.cloud.storage.object.v1.finalized"
  }
  matching_criteria {
    attribute = "bucket"
    value     = google_storage_bucket.config.name
  }
  destination {
    cloud_run_service {
      service = google_cloudfunctions2_function.default["armorAllowlist"].service_config[0].service
      region  = var.region
    }
  }
  depends_on = [google_project_iam_member.eventarc_receiver, google_project_iam_member.gcs_agent_publisher]
}

resource "google_eventarc_trigger" "pipeline_requests" {
  name            = "${var.prefix}-pipeline-requests"
  location        = var.region
  service_account = google_service_account.eventarc.email
  labels          = var.labels
  matching_criteria {
    attribute = "type"
    value     = "google.cloud.pubsub.topic.v1.messagePublished"
  }
  transport {
    pubsub {
      topic = google_pubsub_topic.pipeline_requests.id
    }
  }
  destination {
    cloud_run_service {
      service = google_cloudfunctions2_function.default["pipelineRequests"].service_config[0].service
      region  = var.region
    }
  }
}
