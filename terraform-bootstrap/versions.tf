# Provider and Terraform versions for the netreflex bootstrap.
# Terraform >= 1.9: variable validations refer to other variables (see variables.tf).

terraform {
  required_version = ">= 1.9.0"
  required_providers {
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4.0, < 3.0.0" # glob patterns in archive_file.excludes
    }
    google = {
      source  = "hashicorp/google"
      version = ">= 6.14.0, < 7.0.0"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = ">= 6.14.0, < 7.0.0"
    }
    time = {
      source  = "hashicorp/time"
      version = ">= 0.11.0, < 1.0.0" # time_sleep: waits for service agents' roles (project.tf)
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

provider "google-beta" {
  project = var.project_id
  region  = var.region
}
