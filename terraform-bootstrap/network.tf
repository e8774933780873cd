# VPC A (where Vertex AI pipelines run, peered over Private Service Access) and VPC B (the NAT VMs'
# egress side, behind Cloud NAT), their subnets, and the firewall rules that let traffic reach the
# NAT VMs' nic0 in VPC A. VPC B needs no ingress rule: its only traffic is the NAT VMs' egress.

resource "google_compute_network" "vpc_a" {
  name                    = var.vpc_a_name
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"

  depends_on = [google_project_service.enabled]
}

resource "google_compute_subnetwork" "subnet_a" {
  name                     = var.subnet_a_name
  network                  = google_compute_network.vpc_a.id
  region                   = var.region
  ip_cidr_range            = var.subnet_a_cidr
  private_ip_google_access = true
}

resource "google_compute_network" "vpc_b" {
  name                    = var.vpc_b_name
  auto_create_subnetworks = false
  routing_mode            = "REGIONAL"

  depends_on = [google_project_service.enabled]
}

resource "google_compute_subnetwork" "subnet_b" {
  name                     = var.subnet_b_name
  network                  = google_compute_network.vpc_b.id
  region                   = var.region
  ip_cidr_range            = var.subnet_b_cidr
  private_ip_google_access = true
}

# Vertex AI nodes (addresses from the PSA ranges) send their traffic to the NAT VMs. peeringRanges
# adds every range it allocates to source_ranges, so Terraform leaves that list alone after creation.
resource "google_compute_firewall" "psa_to_nat" {
  name          = "allow-psa-to-nat"
  network       = google_compute_network.vpc_a.id
  direction     = "INGRESS"
  source_ranges = local.psa_cidrs
  target_tags   = [local.nat_tag]
  allow {
    protocol = "all"
  }
  lifecycle {
    ignore_changes = [source_ranges]
  }
}

# Google's health-check probers (MIG autohealing and the internal load balancer).
resource "google_compute_firewall" "health_checks_to_nat" {
  name          = "allow-health-checks-to-nat"
  network       = google_compute_network.vpc_a.id
  direction     = "INGRESS"
  source_ranges = ["35.191.0.0/16", "130.211.0.0/22"]
  target_tags   = [local.nat_tag]
  allow {
    protocol = "tcp"
    ports    = [tostring(var.nat_health_check_port)]
  }
}

# SSH through Identity-Aware Proxy TCP forwarding, for operators; the NAT VMs have no public IP.
resource "google_compute_firewall" "iap_ssh_to_nat" {
  name          = "allow-iap-ssh-to-nat"
  network       = google_compute_network.vpc_a.id
  direction     = "INGRESS"
  source_ranges = ["35.235.240.0/20"]
  target_tags   = [local.nat_tag]
  allow {
    protocol = "tcp"
    ports    = ["22"]
  }
}
