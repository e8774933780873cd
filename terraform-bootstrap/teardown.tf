# A destroy that works: the routes natRoutes made and the Private Service Access ranges
# peeringRanges added are unknown to Terraform and keep VPC A from being deleted ("The network
# resource ... is already being used by ..."). On destroy, this runs `netreflex teardown --yes`
# (Node.js and `npm ci` at the repository root, as for the build, with the same Application Default
# Credentials Terraform uses) after the functions and the tick are gone — they depend on it, so
# nothing recreates a route — and before the network, the MIG and the connection go: it depends on
# them. `netreflex teardown` without --yes shows what it would remove.

resource "terraform_data" "teardown" {
  input = {
    NETREFLEX_PROJECT        = var.project_id
    NETREFLEX_PROJECT_NUMBER = data.google_project.this.number
    NETREFLEX_REGION         = var.region
    NETREFLEX_NETWORK        = google_compute_network.vpc_a.name
    NETREFLEX_NAT_MIG        = google_compute_region_instance_group_manager.nat.name
    repository               = abspath("${path.module}/..")
  }
  provisioner "local-exec" {
    when        = destroy
    working_dir = self.input.repository
    command     = "node bin/netreflex.js teardown --yes"
    environment = {
      NETREFLEX_PROJECT        = self.input.NETREFLEX_PROJECT
      NETREFLEX_PROJECT_NUMBER = self.input.NETREFLEX_PROJECT_NUMBER
      NETREFLEX_REGION         = self.input.NETREFLEX_REGION
      NETREFLEX_NETWORK        = self.input.NETREFLEX_NETWORK
      NETREFLEX_NAT_MIG        = self.input.NETREFLEX_NAT_MIG
    }
  }
  depends_on = [google_service_networking_connection.psa, google_compute_network_peering_routes_config.psa]
}
