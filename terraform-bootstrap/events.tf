# What makes the functions run: Pub/Sub topics, Eventarc triggers, and the Cloud Scheduler tick.
# Delivery is at least once and unordered; every function reads the current state instead of
# trusting the event, so duplicate or late events are harmless.

locals {
  # Admin Activity audit logs (always on) of every change that can move NAT VMs: the VMs' power
  # methods and every MIG method that changes its members, which of them run, or its configuration,
  # as v1 and beta calls (the method name carries the API version of the call; adoptInstances,
  # resizeAdvanced and update exist in beta only). Must equal NAT_AUDIT_METHODS in
  # shared/nat-routes/trigger.ts (test/terraform/events.test.ts). Eventarc matches method names
  # exactly, so each gets its own trigger. An autoheal is a System Event entry and emits none of
  # these: the safety-net tick below covers it.
  _nat_audit_methods = {
    "v1-instances-insert"                      = "v1.compute.instances.insert"
    "v1-instances-delete"                      = "v1.compute.instances.delete"
    "v1-instances-stop"                        = "v1.compute.instances.stop"
    "v1-instances-start"                       = "v1.compute.instances.start"
    "v1-instances-start-with-encryption-key"   = "v1.compute.instances.startWithEncryptionKey"
    "v1-instances-reset"                       = "v1.compute.instances.reset"
    "v1-instances-suspend"                     = "v1.compute.instances.suspend"
    "v1-instances-resume"                      = "v1.compute.instances.resume"
    "v1-instances-update"                      = "v1.compute.instances.update"
    "v1-mig-create-instances"                  = "v1.compute.regionInstanceGroupManagers.createInstances"
    "v1-mig-delete-instances"                  = "v1.compute.regionInstanceGroupManagers.deleteInstances"
    "v1-mig-abandon-instances"                 = "v1.compute.regionInstanceGroupManagers.abandonInstances"
    "v1-mig-recreate-instances"                = "v1.compute.regionInstanceGroupManagers.recreateInstances"
    "v1-mig-resize"                            = "v1.compute.regionInstanceGroupManagers.resize"
    "v1-mig-stop-instances"                    = "v1.compute.regionInstanceGroupManagers.stopInstances"
    "v1-mig-start-instances"                   = "v1.compute.regionInstanceGroupManagers.startInstances"
    "v1-mig-suspend-instances"                 = "v1.compute.regionInstanceGroupManagers.suspendInstances"
    "v1-mig-resume-instances"                  = "v1.compute.regionInstanceGroupManagers.resumeInstances"
    "v1-mig-set-instance-template"             = "v1.compute.regionInstanceGroupManagers.setInstanceTemplate"
    "v1-mig-patch"                             = "v1.compute.regionInstanceGroupManagers.patch"
    "v1-mig-apply-updates-to-instances"        = "v1.compute.regionInstanceGroupManagers.applyUpdatesToInstances"
    "beta-instances-insert"                    = "beta.compute.instances.insert"
    "beta-instances-delete"                    = "beta.compute.instances.delete"
    "beta-instances-stop"                      = "beta.compute.instances.stop"
    "beta-instances-start"                     = "beta.compute.instances.start"
    "beta-instances-start-with-encryption-key" = "beta.compute.instances.startWithEncryptionKey"
    "beta-instances-reset"                     = "beta.compute.instances.reset"
    "beta-instances-suspend"                   = "beta.compute.instances.suspend"
    "beta-instances-resume"                    = "beta.compute.instances.resume"
    "beta-instances-update"                    = "beta.compute.instances.update"
    "beta-mig-create-instances"                = "beta.compute.regionInstanceGroupManagers.createInstances"
    "beta-mig-delete-instances"                = "beta.compute.regionInstanceGroupManagers.deleteInstances"
    "beta-mig-abandon-instances"               = "beta.compute.regionInstanceGroupManagers.abandonInstances"
    "beta-mig-recreate-instances"              = "beta.compute.regionInstanceGroupManagers.recreateInstances"
    "beta-mig-resize"                          = "beta.compute.regionInstanceGroupManagers.resize"
    "beta-mig-stop-instances"                  = "beta.compute.regionInstanceGroupManagers.stopInstances"
    "beta-mig-start-instances"                 = "beta.compute.regionInstanceGroupManagers.startInstances"
    "beta-mig-suspend-instances"               = "beta.compute.regionInstanceGroupManagers.suspendInstances"
    "beta-mig-resume-instances"                = "beta.compute.regionInstanceGroupManagers.resumeInstances"
    "beta-mig-set-instance-template"           = "beta.compute.regionInstanceGroupManagers.setInstanceTemplate"
    "beta-mig-patch"                           = "beta.compute.regionInstanceGroupManagers.patch"
    "beta-mig-apply-updates-to-instances"      = "beta.compute.regionInstanceGroupManagers.applyUpdatesToInstances"
    "beta-mig-adopt-instances"                 = "beta.compute.regionInstanceGroupManagers.adoptInstances"
    "beta-mig-resize-advanced"                 = "beta.compute.regionInstanceGroupManagers.resizeAdvanced"
    "beta-mig-update"                          = "beta.compute.regionInstanceGroupManagers.update"
  }
  # Functions the safety-net tick wakes up.
  _tick_subscribers = toset(["natRoutes", "armorAllowlist"])
}

resource "google_pubsub_topic" "tick" {
  name   = "${var.prefix}-tick"
  labels = var.labels

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_topic" "route_results" {
  name   = "${var.prefix}-route-results"
  labels = var.labels

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_topic" "pipeline_requests" {
  name   = "${var.prefix}-pipeline-requests"
  labels = var.labels

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_topic" "pipeline_replies" {
  name   = "${var.prefix}-pipeline-replies"
  labels = var.labels

  depends_on = [google_project_service.enabled]
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

# Audit-log triggers for Compute Engine live in `global`: "Regardless of where the virtual machine
# instance is actually located, Cloud Audit Logs triggers for Compute Engine" see the events as
# originating from a single region, us-central1 (https://cloud.google.com/eventarc/docs/issues), so a
# trigger in var.region may never fire; a global trigger "will receive events from all locations for
# which the event filters match" (https://cloud.google.com/eventarc/docs/locations). The function
# itself stays in var.region.
resource "google_eventarc_trigger" "nat_audit" {
  for_each        = local._nat_audit_methods
  name            = "${var.prefix}-nat-${each.key}"
  location        = "global"
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
  depends_on = [google_project_iam_member.eventarc_receiver, time_sleep.service_agents]
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
  depends_on = [time_sleep.service_agents]
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
  depends_on = [google_project_iam_member.eventarc_receiver, google_project_iam_member.gcs_agent_publisher, time_sleep.service_agents]
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
  depends_on = [time_sleep.service_agents]
}
