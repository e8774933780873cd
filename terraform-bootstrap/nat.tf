# The NAT VMs: a regional MIG of two-NIC VMs (nic0 in subnet A, nic1 in subnet B) that forward and
# masquerade the Vertex AI nodes' traffic out of VPC B, where Cloud NAT gives it a fixed public IP.
# The startup script is the repo's scripts/nat-startup.sh (tested in test/nat/), never inlined here:
# it reads the PSA ranges from the `netreflex-psa-ranges` metadata key and adds a return route per
# range, so peeringRanges can add a range by updating metadata, without rebuilding the VMs.

resource "google_service_account" "nat_vm" {
  account_id   = "${var.prefix}-nat-vm"
  display_name = "netreflex NAT VMs (logs and metrics only)"

  depends_on = [google_project_service.enabled]
}

resource "google_project_iam_member" "nat_vm" {
  for_each = toset(["roles/logging.logWriter", "roles/monitoring.metricWriter"])
  project  = var.project_id
  role     = each.key
  member   = "serviceAccount:${google_service_account.nat_vm.email}"
}

resource "google_compute_instance_template" "nat" {
  name_prefix    = "${var.nat_mig_name}-"
  machine_type   = var.nat_machine_type
  region         = var.region
  can_ip_forward = true
  tags           = [local.nat_tag]
  labels         = var.labels
  disk {
    source_image = "debian-cloud/debian-12"
    auto_delete  = true
    boot         = true
    disk_size_gb = 10
  }
  # nic0: VPC A, no public IP; the routes' next hop and the health-check target.
  network_interface {
    subnetwork = google_compute_subnetwork.subnet_a.id
  }
  # nic1: VPC B, no public IP either; Cloud NAT translates its egress.
  network_interface {
    subnetwork = google_compute_subnetwork.subnet_b.id
  }
  metadata = {
    startup-script            = file("${path.module}/scripts/nat-startup.sh")
    netreflex-psa-ranges      = join(",", local.psa_cidrs)
    netreflex-private-cidr    = var.subnet_a_cidr
    netreflex-public-cidr     = var.subnet_b_cidr
    netreflex-private-gateway = google_compute_subnetwork.subnet_a.gateway_address
    netreflex-public-gateway  = google_compute_subnetwork.subnet_b.gateway_address
    enable-oslogin            = "TRUE"
  }
  service_account {
    email  = google_service_account.nat_vm.email
    scopes = ["cloud-platform"]
  }
  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "google_compute_health_check" "nat" {
  name                = "${var.nat_mig_name}-hc"
  check_interval_sec  = 10
  timeout_sec         = 5
  healthy_threshold   = 2
  unhealthy_threshold = 3
  tcp_health_check {
    port = var.nat_health_check_port
  }
  depends_on = [google_project_service.enabled]
}

# peeringRanges publishes new PSA ranges in the MIG's all-instances metadata; Terraform leaves that
# block to it so an apply never withdraws a range that running pipelines use.
resource "google_compute_region_instance_group_manager" "nat" {
  name                      = var.nat_mig_name
  region                    = var.region
  base_instance_name        = "nat"
  target_size               = var.nat_mig_size
  distribution_policy_zones = var.nat_zones
  version {
    instance_template = google_compute_instance_template.nat.id
  }
  auto_healing_policies {
    health_check      = google_compute_health_check.nat.id
    initial_delay_sec = 120
  }
  # How configuration changes reach running NAT VMs. The updater performs max(needed, minimal_action)
  # and nothing beyond most_disruptive_allowed_action (compute.proto InstanceGroupManagerUpdatePolicy;
  # https://cloud.google.com/compute/docs/instance-groups/updating-migs). peeringRanges adds a PSA
  # range by patching the all-instances metadata, which needs only REFRESH ("Compute Engine does not
  # need to restart a VM to change its metadata"), and the startup script watches that key, so the
  # VMs keep running and forwarding. minimal_action = "REPLACE" turned that patch into a replacement
  # of every NAT VM right when a pipeline run starts. A new template with a new image or disks still
  # rolls out on its own (REPLACE is allowed), make-before-break: new VMs first, up to one per zone,
  # and with max_unavailable_fixed = 0 no VM is taken away or stopped before its substitute runs.
  update_policy {
    type                           = "PROACTIVE"
    minimal_action                 = "REFRESH"
    most_disruptive_allowed_action = "REPLACE"
    replacement_method             = "SUBSTITUTE"
    max_surge_fixed                = length(var.nat_zones)
    max_unavailable_fixed          = 0
  }
  lifecycle {
    ignore_changes = [all_instances_config]
  }
}

# Optional internal passthrough load balancer: in route_mode "ilb" the routes' single next hop,
# so an autoheal changes nothing in the routes and only the health check decides.
resource "google_compute_region_backend_service" "nat" {
  count                 = var.route_mode == "ilb" ? 1 : 0
  name                  = var.ilb_name
  region                = var.region
  network               = google_compute_network.vpc_a.id
  load_balancing_scheme = "INTERNAL"
  protocol              = "UNSPECIFIED"
  health_checks         = [google_compute_health_check.nat.id]
  backend {
    group          = google_compute_region_instance_group_manager.nat.instance_group
    balancing_mode = "CONNECTION"
  }
}

resource "google_compute_forwarding_rule" "nat" {
  count                 = var.route_mode == "ilb" ? 1 : 0
  name                  = var.ilb_name
  region                = var.region
  network               = google_compute_network.vpc_a.id
  subnetwork            = google_compute_subnetwork.subnet_a.id
  load_balancing_scheme = "INTERNAL"
  ip_protocol           = "L3_DEFAULT"
  all_ports             = true
  backend_service       = google_compute_region_backend_service.nat[0].id
}

# Cloud NAT on VPC B with manually reserved static IPs: the fixed source IP endpoints allow.
resource "google_compute_address" "nat" {
  count        = length(var.nat_ip_names)
  name         = var.nat_ip_names[count.index]
  region       = var.region
  address_type = "EXTERNAL"
  network_tier = "PREMIUM"
  labels       = var.labels

  depends_on = [google_project_service.enabled]
}

resource "google_compute_router" "nat" {
  name    = var.nat_router_name
  region  = var.region
  network = google_compute_network.vpc_b.id
}

resource "google_compute_router_nat" "nat" {
  name                               = var.nat_name
  router                             = google_compute_router.nat.name
  region                             = var.region
  nat_ip_allocate_option             = "MANUAL_ONLY"
  nat_ips                            = google_compute_address.nat[*].self_link
  source_subnetwork_ip_ranges_to_nat = "LIST_OF_SUBNETWORKS"
  subnetwork {
    name                    = google_compute_subnetwork.subnet_b.id
    source_ip_ranges_to_nat = ["ALL_IP_RANGES"]
  }
  min_ports_per_vm                    = var.nat_min_ports_per_vm
  enable_dynamic_port_allocation      = var.nat_dynamic_port_allocation
  max_ports_per_vm                    = var.nat_dynamic_port_allocation ? var.nat_max_ports_per_vm : null
  enable_endpoint_independent_mapping = false
  udp_idle_timeout_sec                = 30
  tcp_established_idle_timeout_sec    = 1200
  log_config {
    enable = true
    filter = "ALL"
  }
}
