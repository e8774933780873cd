# Inputs of the netreflex bootstrap, in alphabetical order. Defaults reproduce the sample topology of
# the articles (docs/sample-topology.md) so `terraform plan` on a fresh project shows the demo setup.

variable "allowlist_object" {
  type        = string
  description = "Object in the config bucket holding the Cloud Armor allowlist that armorAllowlist applies. Uploaded by you, not by Terraform."
  default     = "allowlists/inference-policy.yaml"
  nullable    = false
  validation {
    condition     = can(regex("^[^/].*\\.(ya?ml|json)$", var.allowlist_object))
    error_message = "allowlist_object must be a relative object name ending in .yaml, .yml or .json."
  }
}

variable "armor_policy_name" {
  type        = string
  description = "Name of the Cloud Armor security policy guarding the IP-restricted endpoint. Terraform owns the policy and its default deny(403) rule; armorAllowlist owns the allow rules."
  default     = "inference-policy"
  nullable    = false
  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.armor_policy_name))
    error_message = "armor_policy_name must be a lowercase RFC 1035 name (1-63 chars)."
  }
}

variable "armor_rule_quota" {
  type        = number
  description = "Cloud Armor's SECURITY_POLICY_RULES quota of the project: the rules of every security policy in it together (200 unless Google raised it). armorAllowlist refuses a sync that would need more at any point, before changing anything."
  default     = 200
  nullable    = false
  validation {
    condition     = var.armor_rule_quota >= 0 && floor(var.armor_rule_quota) == var.armor_rule_quota
    error_message = "armor_rule_quota must be a whole number >= 0."
  }
}

variable "config_bucket_name" {
  type        = string
  description = "Globally unique name of the Cloud Storage bucket holding netreflex configuration (the allowlist file)."
  default     = "netreflex-demo-config"
  nullable    = false
  validation {
    condition     = can(regex("^[a-z0-9][-_a-z0-9]{1,61}[a-z0-9]$", var.config_bucket_name)) && !startswith(var.config_bucket_name, "goog")
    error_message = "config_bucket_name must be 3-63 lowercase letters, digits, '-' or '_', and must not start with \"goog\"."
  }
}

variable "destinations" {
  type        = list(string)
  description = "IP-restricted endpoints (CIDRs) that Vertex AI pipelines reach through the NAT VMs; natRoutes keeps one route per destination and NAT VM."
  default     = ["198.51.100.10/32", "198.51.100.64/27"]
  nullable    = false
  validation {
    condition     = length(var.destinations) > 0 && alltrue([for d in var.destinations : can(cidrhost(d, 0)) && cidrhost(d, 0) == split("/", d)[0]])
    error_message = "destinations must be a non-empty list of CIDRs with host bits zero, e.g. 198.51.100.64/27."
  }
}

variable "ilb_name" {
  type        = string
  description = "Name of the internal passthrough load balancer (forwarding rule and backend service) in front of the NAT MIG; created only when route_mode is \"ilb\"."
  default     = "nat-ilb"
  nullable    = false
  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.ilb_name))
    error_message = "ilb_name must be a lowercase RFC 1035 name (1-63 chars)."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels added to every resource that supports them."
  default     = { app = "netreflex" }
  nullable    = false
  validation {
    condition     = alltrue([for k, v in var.labels : can(regex("^[a-z][-_a-z0-9]{0,62}$", k)) && can(regex("^[-_a-z0-9]{0,63}$", v))])
    error_message = "labels keys must start with a lowercase letter; keys and values use only lowercase letters, digits, '-' and '_' (max 63 chars)."
  }
}

variable "log_level" {
  type        = string
  description = "Log level of the functions (NETREFLEX_LOG_LEVEL); logs go to Cloud Logging as structured JSON."
  default     = "info"
  nullable    = false
  validation {
    condition     = contains(["trace", "debug", "info", "warn", "error", "fatal", "silent"], var.log_level)
    error_message = "log_level must be one of trace, debug, info, warn, error, fatal, silent."
  }
}

variable "nat_dynamic_port_allocation" {
  type        = bool
  description = "Use Cloud NAT dynamic port allocation (ports per VM grow from nat_min_ports_per_vm up to nat_max_ports_per_vm). Off by default, as in the articles: then each NAT VM gets exactly nat_min_ports_per_vm ports per destination IP:port."
  default     = false
  nullable    = false
  validation {
    condition     = !var.nat_dynamic_port_allocation || contains([for i in range(5, 17) : pow(2, i)], var.nat_min_ports_per_vm)
    error_message = "With nat_dynamic_port_allocation, nat_min_ports_per_vm must be a power of two of at least 32."
  }
}

variable "nat_health_check_port" {
  type        = number
  description = "TCP port the NAT VMs' health check probes (autohealing and the load balancer). 22 works with the stock image's sshd."
  default     = 22
  nullable    = false
  validation {
    condition     = var.nat_health_check_port >= 1 && var.nat_health_check_port <= 65535 && floor(var.nat_health_check_port) == var.nat_health_check_port
    error_message = "nat_health_check_port must be an integer between 1 and 65535."
  }
}

variable "nat_ip_names" {
  type        = list(string)
  description = "Names of the manually reserved static external IPs Cloud NAT uses (MANUAL_ONLY): the fixed egress IPs to put on allowlists."
  default     = ["nat-egress-ip-1"]
  nullable    = false
  validation {
    condition     = length(var.nat_ip_names) > 0 && alltrue([for n in var.nat_ip_names : can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", n))])
    error_message = "nat_ip_names must list at least one lowercase RFC 1035 name."
  }
}

variable "nat_join_hold_seconds" {
  type        = number
  description = "natRoutes damping: seconds a NAT VM must be eligible (RUNNING, idle, HEALTHY) before it gets routes; waived while no routed VM is eligible. 0 = at once (HEALTHY already means healthy_threshold passing checks)."
  default     = 0
  nullable    = false
  validation {
    condition     = var.nat_join_hold_seconds >= 0 && var.nat_join_hold_seconds <= 3600 && floor(var.nat_join_hold_seconds) == var.nat_join_hold_seconds
    error_message = "nat_join_hold_seconds must be an integer between 0 and 3600."
  }
}

variable "nat_machine_type" {
  type        = string
  description = "Machine type of the NAT VMs. Forwarding throughput grows with vCPUs."
  default     = "e2-small"
  nullable    = false
  validation {
    condition     = can(regex("^[a-z0-9]+-[-a-z0-9]+$", var.nat_machine_type))
    error_message = "nat_machine_type must be a machine type name such as e2-small or n2-standard-2."
  }
}

variable "nat_max_ports_per_vm" {
  type        = number
  description = "Upper bound of ports per NAT VM with dynamic port allocation; ignored otherwise."
  default     = 4096
  nullable    = false
  validation {
    condition     = contains([for i in range(6, 17) : pow(2, i)], var.nat_max_ports_per_vm) && var.nat_max_ports_per_vm > var.nat_min_ports_per_vm
    error_message = "nat_max_ports_per_vm must be a power of two between 64 and 65536 and greater than nat_min_ports_per_vm."
  }
}

variable "nat_mig_name" {
  type        = string
  description = "Name of the regional managed instance group of NAT VMs (natRoutes watches its instances)."
  default     = "nat-mig"
  nullable    = false
  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.nat_mig_name))
    error_message = "nat_mig_name must be a lowercase RFC 1035 name (1-63 chars)."
  }
}

variable "nat_mig_size" {
  type        = number
  description = "Number of NAT VMs. 2 or more keeps egress up while autohealing replaces one; each adds nat_min_ports_per_vm ports per destination."
  default     = 2
  nullable    = false
  validation {
    condition     = var.nat_mig_size >= 1 && var.nat_mig_size <= 16 && floor(var.nat_mig_size) == var.nat_mig_size
    error_message = "nat_mig_size must be an integer between 1 and 16 (2 or more for redundancy)."
  }
}

variable "nat_min_ports_per_vm" {
  type        = number
  description = "Cloud NAT ports per NAT VM per destination IP:port (the articles use 64). All Vertex nodes share these: nat_mig_size x this = concurrent connections to one endpoint."
  default     = 64
  nullable    = false
  validation {
    condition     = var.nat_min_ports_per_vm >= 2 && var.nat_min_ports_per_vm <= 65536 && floor(var.nat_min_ports_per_vm) == var.nat_min_ports_per_vm
    error_message = "nat_min_ports_per_vm must be an integer between 2 and 65536."
  }
}

variable "nat_name" {
  type        = string
  description = "Name of the Cloud NAT gateway on VPC B."
  default     = "nat-egress"
  nullable    = false
  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.nat_name))
    error_message = "nat_name must be a lowercase RFC 1035 name (1-63 chars)."
  }
}

variable "nat_router_name" {
  type        = string
  description = "Name of the Cloud Router on VPC B that carries Cloud NAT."
  default     = "nat-router"
  nullable    = false
  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.nat_router_name))
    error_message = "nat_router_name must be a lowercase RFC 1035 name (1-63 chars)."
  }
}

variable "nat_unhealthy_hold_seconds" {
  type        = number
  description = "natRoutes damping: seconds a routed NAT VM that is still RUNNING may stay unhealthy before it loses its routes (a VM that stops or is recreated leaves at once). 0 = no damping."
  default     = 30
  nullable    = false
  validation {
    condition     = var.nat_unhealthy_hold_seconds >= 0 && var.nat_unhealthy_hold_seconds <= 3600 && floor(var.nat_unhealthy_hold_seconds) == var.nat_unhealthy_hold_seconds
    error_message = "nat_unhealthy_hold_seconds must be an integer between 0 and 3600."
  }
}

variable "nat_zones" {
  type        = list(string)
  description = "Zones of the region the NAT MIG spreads its VMs over."
  default     = ["asia-northeast1-a", "asia-northeast1-b", "asia-northeast1-c"]
  nullable    = false
  validation {
    condition     = length(var.nat_zones) > 0 && alltrue([for z in var.nat_zones : startswith(z, "${var.region}-")])
    error_message = "nat_zones must be a non-empty list of zones of var.region, e.g. asia-northeast1-a."
  }
}

variable "notification_channels" {
  type        = list(string)
  description = "Cloud Monitoring notification channels (projects/PROJECT/notificationChannels/ID) the netreflex alert policies notify. Empty: the policies open incidents in the console only."
  default     = []
  nullable    = false
  validation {
    condition     = alltrue([for c in var.notification_channels : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", c))])
    error_message = "notification_channels must be full names: projects/PROJECT/notificationChannels/ID."
  }
}

variable "pipeline_requesters" {
  type        = list(string)
  description = "Principals of the pipeline teams (\"group:ml-team@example.com\", \"serviceAccount:ci@team-project.iam.gserviceaccount.com\"): each may publish run requests to the request topic, upload templates to the pipeline template repository, and attach its own subscription to the reply topic. Nothing else."
  default     = []
  nullable    = false
  validation {
    condition     = alltrue([for p in var.pipeline_requesters : can(regex("^(user|group|serviceAccount|domain|principal|principalSet):[^\\s]+$", p))])
    error_message = "pipeline_requesters must be IAM principals (user:, group:, serviceAccount:, domain:, principal: or principalSet: and the identity); never a public principal, who could then run pipelines as the pipeline account."
  }
}

variable "pipeline_root" {
  type        = string
  description = "Cloud Storage path the Vertex AI pipeline jobs write their outputs to (PipelineJob.runtimeConfig.gcsOutputDirectory, which Vertex AI requires): the default of the vertex-pipeline-run argument gcsOutputDirectory. Null means gs://PROJECT-PREFIX-pipelines/runs, the bucket this module creates and lets only the pipeline account write; a path in another bucket is yours to create and grant (roles/storage.objectUser to the pipeline account)."
  default     = null
  validation {
    condition     = var.pipeline_root == null || can(regex("^gs://[a-z0-9][-_.a-z0-9]{1,220}[a-z0-9](/.*)?$", var.pipeline_root))
    error_message = "pipeline_root must be a gs://bucket or gs://bucket/path URI."
  }
}

variable "pipeline_service_account" {
  type        = string
  description = "Service account Vertex AI pipeline jobs run as; the workflow may act as it (and only it). Null means netreflex's own pipelines account, which holds only what pipeline jobs need (iam.tf); never the Compute Engine default account, which often holds Editor."
  default     = null
  validation {
    condition     = var.pipeline_service_account == null || can(regex("^[a-z][-a-z0-9]{4,28}[a-z0-9]@[-a-z0-9.]+\\.gserviceaccount\\.com$", var.pipeline_service_account))
    error_message = "pipeline_service_account must be null or a service account email."
  }
}

variable "prefix" {
  type        = string
  description = "Prefix of the toolkit's own resources (functions, service accounts, topics, triggers, source bucket)."
  default     = "netreflex"
  nullable    = false
  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{0,10}[a-z0-9]$", var.prefix))
    error_message = "prefix must be 2-12 lowercase letters, digits or '-', starting with a letter (service account ids are limited to 30 chars)."
  }
}

variable "project_id" {
  type        = string
  description = "Project that holds the whole setup."
  default     = "netreflex-demo"
  nullable    = false
  validation {
    condition     = can(regex("^[a-z][-a-z0-9]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a Google Cloud project id (6-30 lowercase letters, digits or '-')."
  }
}

variable "psa_pool" {
  type        = string
  description = "CIDR pool peeringRanges allocates new Private Service Access ranges from when capacity runs short. Must contain psa_ranges and avoid every other range of the address plan; a /15 holds the /21 plus the /16 that 40 parallel 8-node jobs need."
  default     = "10.98.0.0/15"
  nullable    = false
  validation {
    condition     = can(cidrhost(var.psa_pool, 0)) && cidrhost(var.psa_pool, 0) == split("/", var.psa_pool)[0]
    error_message = "psa_pool must be a CIDR with host bits zero, e.g. 10.98.0.0/16."
  }
}

variable "psa_ranges" {
  type        = map(string)
  description = "Private Service Access ranges to allocate at start (global address name => CIDR). A /21 runs one 8-node pipeline job at a time; peeringRanges adds more on demand."
  default     = { "vertex-psa-range" = "10.98.0.0/21" }
  nullable    = false
  validation {
    condition     = length(var.psa_ranges) > 0 && alltrue([for n, c in var.psa_ranges : can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", n)) && can(cidrhost(c, 0)) && cidrhost(c, 0) == split("/", c)[0] && tonumber(split("/", c)[1]) <= 24])
    error_message = "psa_ranges must map RFC 1035 names to CIDRs with host bits zero and a prefix of /24 or shorter."
  }
}

variable "region" {
  type        = string
  description = "Region of the subnets, NAT MIG, Cloud NAT, functions, triggers (but the NAT audit-log ones, which are global), workflow and Vertex AI pipelines."
  default     = "asia-northeast1"
  nullable    = false
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a region such as asia-northeast1."
  }
}

variable "request_bucket_name" {
  type        = string
  description = "Globally unique name of the Cloud Storage bucket holding pipelineRequests' claims: one small object per request, so a request delivered many times starts one run. Objects expire after 30 days."
  default     = "netreflex-demo-requests"
  nullable    = false
  validation {
    condition     = can(regex("^[a-z0-9][-_a-z0-9]{1,61}[a-z0-9]$", var.request_bucket_name)) && !startswith(var.request_bucket_name, "goog")
    error_message = "request_bucket_name must be 3-63 lowercase letters, digits, '-' or '_', and must not start with \"goog\"."
  }
}

variable "reserved_ranges" {
  type        = list(string)
  description = "Ranges peeringRanges must never allocate from, beyond what it reads from VPC A: on-premises, other VPCs, GKE pod ranges reachable over VPN or peering."
  default     = []
  nullable    = false
  validation {
    condition     = alltrue([for r in var.reserved_ranges : can(cidrhost(r, 0))])
    error_message = "reserved_ranges must be a list of CIDRs."
  }
}

variable "route_mode" {
  type        = string
  description = "How natRoutes points the routes at the NAT VMs: \"instance\" (one route per destination and VM, ECMP) or \"ilb\" (one route per destination to an internal passthrough load balancer)."
  default     = "instance"
  nullable    = false
  validation {
    condition     = contains(["instance", "ilb"], var.route_mode)
    error_message = "route_mode must be \"instance\" or \"ilb\"."
  }
}

variable "route_priority" {
  type        = number
  description = "Priority of the routes natRoutes creates (lower wins; equal priority across NAT VMs gives ECMP)."
  default     = 900
  nullable    = false
  validation {
    condition     = var.route_priority >= 0 && var.route_priority <= 65535 && floor(var.route_priority) == var.route_priority
    error_message = "route_priority must be an integer between 0 and 65535."
  }
}

variable "safety_net_schedule" {
  type        = string
  description = "Cron schedule of the safety-net tick that makes natRoutes and armorAllowlist reconcile even without an event (autoheals emit none; allowlist entries expire)."
  default     = "*/5 * * * *"
  nullable    = false
  validation {
    condition     = length(split(" ", trimspace(var.safety_net_schedule))) == 5
    error_message = "safety_net_schedule must be a 5-field cron expression such as \"*/5 * * * *\"."
  }
}

variable "subnet_a_cidr" {
  type        = string
  description = "Primary range of subnet A in VPC A (the NAT VMs' nic0; the first address is the gateway of the return routes)."
  default     = "10.95.0.0/16"
  nullable    = false
  validation {
    condition     = can(cidrhost(var.subnet_a_cidr, 0)) && cidrhost(var.subnet_a_cidr, 0) == split("/", var.subnet_a_cidr)[0]
    error_message = "subnet_a_cidr must be a CIDR with host bits zero."
  }
}

variable "subnet_a_name" {
  type        = string
  description = "Name of subnet A in VPC A."
  default     = "subnet-a"
  nullable    = false
  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.subnet_a_name))
    error_message = "subnet_a_name must be a lowercase RFC 1035 name (1-63 chars)."
  }
}

variable "subnet_b_cidr" {
  type        = string
  description = "Primary range of subnet B in VPC B (the NAT VMs' nic1, mapped by Cloud NAT)."
  default     = "10.97.0.0/16"
  nullable    = false
  validation {
    condition     = can(cidrhost(var.subnet_b_cidr, 0)) && cidrhost(var.subnet_b_cidr, 0) == split("/", var.subnet_b_cidr)[0]
    error_message = "subnet_b_cidr must be a CIDR with host bits zero."
  }
}

variable "subnet_b_name" {
  type        = string
  description = "Name of subnet B in VPC B."
  default     = "subnet-b"
  nullable    = false
  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.subnet_b_name))
    error_message = "subnet_b_name must be a lowercase RFC 1035 name (1-63 chars)."
  }
}

variable "time_zone" {
  type        = string
  description = "Time zone of the Cloud Scheduler safety-net job."
  default     = "Etc/UTC"
  nullable    = false
  validation {
    condition     = can(regex("^[A-Za-z_]+(/[-+A-Za-z0-9_]+)*$", var.time_zone))
    error_message = "time_zone must be a tz database name such as Etc/UTC or Asia/Tokyo."
  }
}

variable "vpc_a_name" {
  type        = string
  description = "Name of VPC A: the network Vertex AI pipelines run on, peered with Google's producer VPC over Private Service Access."
  default     = "vpc-a"
  nullable    = false
  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.vpc_a_name))
    error_message = "vpc_a_name must be a lowercase RFC 1035 name (1-63 chars)."
  }
}

variable "vpc_b_name" {
  type        = string
  description = "Name of VPC B: the egress network of the NAT VMs' nic1, with Cloud NAT."
  default     = "vpc-b"
  nullable    = false
  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", var.vpc_b_name))
    error_message = "vpc_b_name must be a lowercase RFC 1035 name (1-63 chars)."
  }
}
