# Monitoring as code: log-based metrics from the functions' structured logs, alert policies on them,
# and a dashboard of the egress path.
#
# Each function writes one Cloud Logging JSON line per reconcile / sync / preparation / request
# (shared/log.ts); Cloud Run turns `severity` into the entry's severity and keeps every other field
# (message included) under jsonPayload (https://cloud.google.com/logging/docs/structured-logging).
# The filters below select those lines in the Logging query language
# (https://cloud.google.com/logging/docs/view/logging-query-language); a counter metric counts the
# matching entries, labelled by the fields a page needs (https://cloud.google.com/logging/docs/logs-based-metrics).
# test/terraform/monitoring.test.ts runs every filter against the lines the code really writes.
#
# Alerts go to var.notification_channels. Windows: an outage of the egress path (routes degraded, a
# refused allowlist, a failing preparation) pages at the first occurrence in a 5-minute window; a
# condition that heals itself on retry (reconciles failing, expiry stalled) pages when it lasts 15
# minutes; the safety-net tick pages when no tick succeeded for 3 intervals.

locals {
  _run_logs = "resource.type=\"cloud_run_revision\""
  # The safety-net interval in minutes, from a "*/N * * * *" schedule (the lifecycle precondition
  # of the tick alert refuses any other form).
  _tick_minutes = can(regex("^\\*/([0-9]+) \\* \\* \\* \\*$", var.safety_net_schedule)) ? tonumber(regex("^\\*/([0-9]+) ", var.safety_net_schedule)[0]) : 0

  _log_metrics = {
    nat_routes_reconciles = {
      description = "natRoutes reconciles, by outcome (ok, degraded, failed)."
      filter      = "${local._run_logs} AND resource.labels.service_name=\"${var.prefix}-${local.functions.natRoutes.name}\" AND jsonPayload.status=(\"ok\" OR \"degraded\" OR \"failed\") AND jsonPayload.trigger:*"
      labels      = { status = "EXTRACT(jsonPayload.status)" }
    }
    nat_routes_degraded = {
      description = "natRoutes reconciles that found no NAT VM to route to: the routes stay, the egress path is down."
      filter      = "${local._run_logs} AND resource.labels.service_name=\"${var.prefix}-${local.functions.natRoutes.name}\" AND jsonPayload.status=\"degraded\""
      labels      = {}
    }
    allowlist_syncs = {
      description = "armorAllowlist syncs, by outcome (ok, unchanged, ignored, refused, failed)."
      filter      = "${local._run_logs} AND resource.labels.service_name=\"${var.prefix}-${local.functions.armorAllowlist.name}\" AND jsonPayload.status:* AND jsonPayload.source:*"
      labels      = { status = "EXTRACT(jsonPayload.status)" }
    }
    allowlist_refusals = {
      description = "armorAllowlist syncs refused by a safety rule or an invalid file, by refusal kind; the policy stays as it was."
      filter      = "${local._run_logs} AND resource.labels.service_name=\"${var.prefix}-${local.functions.armorAllowlist.name}\" AND jsonPayload.status=\"refused\""
      labels      = { kind = "EXTRACT(jsonPayload.refusal.kind)" }
    }
    allowlist_expiry_stalled = {
      description = "Scheduled armorAllowlist syncs that did not complete (refused, failed, or an error): expired entries stay allowed until one does."
      filter      = "${local._run_logs} AND resource.labels.service_name=\"${var.prefix}-${local.functions.armorAllowlist.name}\" AND jsonPayload.trigger=~\"^scheduled\" AND (jsonPayload.status=(\"refused\" OR \"failed\") OR jsonPayload.error:*)"
      labels      = {}
    }
    safety_net_syncs = {
      description = "Scheduled syncs of natRoutes and armorAllowlist that completed, by function: the tick the autoheals and expiries depend on."
      filter      = "${local._run_logs} AND resource.labels.service_name=(\"${var.prefix}-${local.functions.natRoutes.name}\" OR \"${var.prefix}-${local.functions.armorAllowlist.name}\") AND jsonPayload.trigger=~\"^scheduled\" AND jsonPayload.status:* AND NOT jsonPayload.status=(\"failed\" OR \"refused\")"
      labels      = { service = "EXTRACT(resource.labels.service_name)" }
    }
    preparation_failures = {
      description = "Pipeline preparations that failed: peeringRanges answers other than ready, natRoutesSync answers other than routes verified (not the transient retries inside a call that then succeeds)."
      filter      = "${local._run_logs} AND ((resource.labels.service_name=\"${var.prefix}-${local.functions.peeringRanges.name}\" AND severity>=WARNING AND (jsonPayload.capacity:* OR jsonPayload.code:*)) OR (resource.labels.service_name=\"${var.prefix}-${local.functions.natRoutesSync.name}\" AND severity>=WARNING AND (jsonPayload.plan:* OR jsonPayload.code:*)))"
      # The label keeps its name `reason` (now the answer's error.kind): a log-based metric's label can
      # never be deleted or renamed, only its extractor changed
      # (https://cloud.google.com/logging/docs/logs-based-metrics/labels#limitations).
      labels = { service = "EXTRACT(resource.labels.service_name)", reason = "EXTRACT(jsonPayload.error.kind)" }
    }
    pipeline_requests = {
      description = "Pipeline run requests handled by pipelineRequests, by outcome (started, duplicate, rejected, retry)."
      filter      = "${local._run_logs} AND resource.labels.service_name=\"${var.prefix}-${local.functions.pipelineRequests.name}\" AND jsonPayload.pipelineRequest.outcome:*"
      labels      = { outcome = "EXTRACT(jsonPayload.pipelineRequest.outcome)" }
    }
  }

  # "What to do", shown with every incident.
  _runbook = "Run `netreflex status` against the project: every BROKEN or UNKNOWN link says what to fix. The function's logs (Cloud Run service ${var.prefix}-*) hold the full report of the reconcile that failed."
}

resource "google_logging_metric" "netreflex" {
  for_each    = local._log_metrics
  project     = var.project_id
  name        = "${var.prefix}/${each.key}"
  description = each.value.description
  filter      = each.value.filter
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
    dynamic "labels" {
      for_each = each.value.labels
      content {
        key        = labels.key
        value_type = "STRING"
      }
    }
  }
  label_extractors = each.value.labels

  depends_on = [google_project_service.enabled]
}

resource "google_monitoring_alert_policy" "routes_degraded" {
  project               = var.project_id
  display_name          = "netreflex: routes to the NAT VMs degraded or failing"
  combiner              = "OR"
  notification_channels = var.notification_channels
  user_labels           = var.labels
  documentation {
    mime_type = "text/markdown"
    content   = "natRoutes found no healthy NAT VM (degraded: the old routes stay, traffic to the IP-restricted endpoints is dropped), or its reconciles keep failing. Check the NAT MIG ${google_compute_region_instance_group_manager.nat.name}: autohealing, health check, quota. ${local._runbook}"
  }
  conditions {
    display_name = "a degraded reconcile"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.netreflex["nat_routes_degraded"].name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
      trigger {
        count = 1
      }
    }
  }
  conditions {
    display_name = "reconciles failing for 15 minutes"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.netreflex["nat_routes_reconciles"].name}\" AND resource.type=\"cloud_run_revision\" AND metric.label.status=\"failed\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "900s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
      trigger {
        count = 1
      }
    }
  }
  alert_strategy {
    auto_close = "1800s"
  }
}

resource "google_monitoring_alert_policy" "allowlist" {
  project               = var.project_id
  display_name          = "netreflex: allowlist refused or expiry stalled"
  combiner              = "OR"
  notification_channels = var.notification_channels
  user_labels           = var.labels
  documentation {
    mime_type = "text/markdown"
    content   = "armorAllowlist refused the allowlist file (the policy ${google_compute_security_policy.inference.name} keeps its previous rules; the log line names every problem and what to do), or its scheduled syncs have not completed for 15 minutes, so entries past their expiry stay allowed. Check the file with `netreflex validate`, fix and upload it. ${local._runbook}"
  }
  conditions {
    display_name = "a refused sync"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.netreflex["allowlist_refusals"].name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
      trigger {
        count = 1
      }
    }
  }
  conditions {
    display_name = "scheduled syncs not completing for 15 minutes (expiry stalled)"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.netreflex["allowlist_expiry_stalled"].name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "900s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
      trigger {
        count = 1
      }
    }
  }
  alert_strategy {
    auto_close = "1800s"
  }
}

resource "google_monitoring_alert_policy" "preparation_failing" {
  project               = var.project_id
  display_name          = "netreflex: pipeline preparation failing"
  combiner              = "OR"
  notification_channels = var.notification_channels
  user_labels           = var.labels
  documentation {
    mime_type = "text/markdown"
    content   = "A pipeline run could not be prepared: peeringRanges answered other than ready (pool exhausted, another network busy in the region, a wiring step failed) or natRoutesSync failed, so the workflow stopped before creating the job. The metric's labels name the function and the kind of failure. ${local._runbook}"
  }
  conditions {
    display_name = "a failed preparation"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.netreflex["preparation_failures"].name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_SUM"
      }
      trigger {
        count = 1
      }
    }
  }
  alert_strategy {
    auto_close = "3600s"
  }
}

resource "google_monitoring_alert_policy" "tick_missing" {
  project               = var.project_id
  display_name          = "netreflex: no successful safety-net sync for 3 intervals"
  combiner              = "OR"
  notification_channels = var.notification_channels
  user_labels           = var.labels
  documentation {
    mime_type = "text/markdown"
    content   = "Neither an autoheal (which sends no event) nor an allowlist expiry is acted on without the scheduled tick: no scheduled sync of natRoutes or armorAllowlist completed for 3 intervals of `${var.safety_net_schedule}`. Check the Cloud Scheduler job ${google_cloud_scheduler_job.tick.name}, the tick topic and the Eventarc triggers. ${local._runbook}"
  }
  conditions {
    display_name = "no completed scheduled sync, per function"
    condition_absent {
      filter   = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.netreflex["safety_net_syncs"].name}\" AND resource.type=\"cloud_run_revision\""
      duration = "${3 * local._tick_minutes * 60}s"
      # Every Cloud Run revision writes its own time series (revision_name is a label of the
      # cloud_run_revision resource), so without a cross-series reduction a redeploy leaves the old
      # revision's series absent and pages. Summing across revisions, one series per function
      # (the service), pages only when a function itself stops ticking
      # (https://cloud.google.com/monitoring/alerts/metric-absence; aggregations.cross_series_reducer
      # and group_by_fields in
      # https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/monitoring_alert_policy#nested_aggregations).
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.service_name"]
      }
      trigger {
        count = 1
      }
    }
  }
  alert_strategy {
    auto_close = "1800s"
  }
  lifecycle {
    precondition {
      condition     = local._tick_minutes > 0
      error_message = "The tick alert needs safety_net_schedule in the form \"*/N * * * *\" (every N minutes) to know what 3 intervals are."
    }
  }
}

locals {
  # The egress path, top to bottom: what the functions did, then what the network carries.
  _user_metric = "logging.googleapis.com/user/${var.prefix}"
  _dashboard = {
    displayName = "netreflex: Vertex AI Pipelines egress path"
    mosaicLayout = {
      columns = 12
      tiles = [
        { xPos = 0, yPos = 0, width = 6, height = 4, widget = { title = "natRoutes reconciles by outcome", xyChart = { dataSets = [{ plotType = "STACKED_BAR", timeSeriesQuery = { timeSeriesFilter = { filter = "metric.type=\"${local._user_metric}/nat_routes_reconciles\" AND resource.type=\"cloud_run_revision\"", aggregation = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_SUM", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.status"] } } } }] } } },
        { xPos = 6, yPos = 0, width = 6, height = 4, widget = { title = "Scheduled syncs completed (safety-net tick)", xyChart = { dataSets = [{ plotType = "STACKED_BAR", timeSeriesQuery = { timeSeriesFilter = { filter = "metric.type=\"${local._user_metric}/safety_net_syncs\" AND resource.type=\"cloud_run_revision\"", aggregation = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_SUM", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.service"] } } } }] } } },
        { xPos = 0, yPos = 4, width = 6, height = 4, widget = { title = "armorAllowlist syncs by outcome", xyChart = { dataSets = [{ plotType = "STACKED_BAR", timeSeriesQuery = { timeSeriesFilter = { filter = "metric.type=\"${local._user_metric}/allowlist_syncs\" AND resource.type=\"cloud_run_revision\"", aggregation = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_SUM", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.status"] } } } }] } } },
        { xPos = 6, yPos = 4, width = 6, height = 4, widget = { title = "Allowlist refusals by kind", xyChart = { dataSets = [{ plotType = "STACKED_BAR", timeSeriesQuery = { timeSeriesFilter = { filter = "metric.type=\"${local._user_metric}/allowlist_refusals\" AND resource.type=\"cloud_run_revision\"", aggregation = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_SUM", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.kind"] } } } }] } } },
        { xPos = 0, yPos = 8, width = 6, height = 4, widget = { title = "Pipeline requests by outcome", xyChart = { dataSets = [{ plotType = "STACKED_BAR", timeSeriesQuery = { timeSeriesFilter = { filter = "metric.type=\"${local._user_metric}/pipeline_requests\" AND resource.type=\"cloud_run_revision\"", aggregation = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_SUM", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.outcome"] } } } }] } } },
        { xPos = 6, yPos = 8, width = 6, height = 4, widget = { title = "Preparation failures", xyChart = { dataSets = [{ plotType = "STACKED_BAR", timeSeriesQuery = { timeSeriesFilter = { filter = "metric.type=\"${local._user_metric}/preparation_failures\" AND resource.type=\"cloud_run_revision\"", aggregation = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_SUM", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.service", "metric.label.reason"] } } } }] } } },
        # Cloud NAT on VPC B (https://cloud.google.com/nat/docs/monitoring): ports per NAT VM, and drops when they run out.
        { xPos = 0, yPos = 12, width = 6, height = 4, widget = { title = "Cloud NAT ports in use per NAT VM", xyChart = { dataSets = [{ plotType = "LINE", timeSeriesQuery = { timeSeriesFilter = { filter = "metric.type=\"router.googleapis.com/nat/port_usage\" AND resource.type=\"nat_gateway\" AND resource.label.gateway_name=\"${google_compute_router_nat.nat.name}\"", aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_MAX" } } } }] } } },
        { xPos = 6, yPos = 12, width = 6, height = 4, widget = { title = "Cloud NAT dropped packets by reason", xyChart = { dataSets = [{ plotType = "STACKED_BAR", timeSeriesQuery = { timeSeriesFilter = { filter = "metric.type=\"router.googleapis.com/nat/dropped_sent_packets_count\" AND resource.type=\"nat_gateway\" AND resource.label.gateway_name=\"${google_compute_router_nat.nat.name}\"", aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_RATE", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.reason"] } } } }] } } },
        # The NAT VMs of the MIG (instances are named after its base instance name).
        { xPos = 0, yPos = 16, width = 6, height = 4, widget = { title = "NAT VMs: bytes forwarded", xyChart = { dataSets = [{ plotType = "LINE", timeSeriesQuery = { timeSeriesFilter = { filter = "metric.type=\"compute.googleapis.com/instance/network/sent_bytes_count\" AND resource.type=\"gce_instance\" AND metric.label.instance_name=starts_with(\"${google_compute_region_instance_group_manager.nat.base_instance_name}\")", aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_RATE" } } } }] } } },
        # Cloud Armor on the endpoint (https://cloud.google.com/armor/docs/monitoring): what the policy allowed and blocked.
        { xPos = 6, yPos = 16, width = 6, height = 4, widget = { title = "Cloud Armor requests, blocked or not", xyChart = { dataSets = [{ plotType = "STACKED_BAR", timeSeriesQuery = { timeSeriesFilter = { filter = "metric.type=\"networksecurity.googleapis.com/https/request_count\" AND resource.type=\"network_security_policy\" AND resource.label.policy_name=\"${google_compute_security_policy.inference.name}\"", aggregation = { alignmentPeriod = "60s", perSeriesAligner = "ALIGN_RATE", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.blocked"] } } } }] } } },
        # The orchestration (https://cloud.google.com/workflows/docs/monitor): runs by final state.
        { xPos = 0, yPos = 20, width = 12, height = 4, widget = { title = "vertex-pipeline-run executions by final state", xyChart = { dataSets = [{ plotType = "STACKED_BAR", timeSeriesQuery = { timeSeriesFilter = { filter = "metric.type=\"workflows.googleapis.com/finished_execution_count\" AND resource.type=\"workflows.googleapis.com/Workflow\" AND resource.label.workflow_id=\"${google_workflows_workflow.pipeline_run.name}\"", aggregation = { alignmentPeriod = "300s", perSeriesAligner = "ALIGN_SUM", crossSeriesReducer = "REDUCE_SUM", groupByFields = ["metric.label.status"] } } } }] } } },
      ]
    }
  }
}

resource "google_monitoring_dashboard" "egress" {
  project        = var.project_id
  dashboard_json = jsonencode(local._dashboard)
  # The dashboard charts the metrics; they must exist first.
  depends_on = [google_logging_metric.netreflex]
}
