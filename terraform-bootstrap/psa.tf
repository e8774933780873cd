# Private Service Access: the ranges Vertex AI nodes take their addresses from, the peering with
# Google's producer VPC, and custom route export on that peering so the producer VPC imports the
# routes natRoutes points at the NAT VMs.

resource "google_compute_global_address" "psa" {
  for_each      = var.psa_ranges
  name          = each.key
  purpose       = "VPC_PEERING"
  address_type  = "INTERNAL"
  address       = split("/", each.value)[0]
  prefix_length = tonumber(split("/", each.value)[1])
  network       = google_compute_network.vpc_a.id
}

# peeringRanges patches reserved_peering_ranges with every range it allocates (never dropping one);
# Terraform sets the initial list and then leaves it to the function instead of shrinking it back.
#
# deletion_policy ABANDON: Service Networking refuses to delete a connection a producer still
# holds (Vertex AI keeps its tenant resources for a while after the last job), which would fail
# every destroy; abandoned, the peering goes with the network
# (https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/service_networking_connection).
resource "google_service_networking_connection" "psa" {
  network                 = google_compute_network.vpc_a.id
  service                 = "servicenetworking.googleapis.com"
  reserved_peering_ranges = [for a in google_compute_global_address.psa : a.name]
  deletion_policy         = "ABANDON"
  lifecycle {
    ignore_changes = [reserved_peering_ranges]
  }
  depends_on = [time_sleep.service_agents]
}

# Untagged custom routes cross the peering only with export on. natRoutes ensures the same setting
# (or only reports it in verify-only mode), so the two never disagree.
resource "google_compute_network_peering_routes_config" "psa" {
  network              = google_compute_network.vpc_a.name
  peering              = google_service_networking_connection.psa.peering
  export_custom_routes = true
  import_custom_routes = false
}
