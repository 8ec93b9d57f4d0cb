terraform {
  required_providers {
    floe = {
      # Not on a registry: build the provider and point Terraform / OpenTofu at it with
      # dev_overrides or a filesystem_mirror (see terraform/README.md).
      source = "floe.dev/floe/floe"
    }
  }
}

# The endpoint and token can also come from FLOE_ENDPOINT and FLOE_API_TOKEN.
provider "floe" {
  endpoint = "http://127.0.0.1:8080"
}
