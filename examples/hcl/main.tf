# The seed's configuration (seeds/tableflow-setup.txt) in plain HCL: two source clusters, the JSON
# logs table and the Avro events table with nested structs, a list and a map.
#
# The floe provider is not on a registry: build it and point OpenTofu / Terraform at it with a CLI
# configuration (terraform/README.md), then:
#
#   export FLOE_ENDPOINT=http://127.0.0.1:8080 FLOE_API_TOKEN=...
#   tofu init && tofu plan        # with dev_overrides, skip `init`
terraform {
  required_providers {
    floe = {
      source  = "floe.dev/floe/floe"
      version = "~> 0.1"
    }
  }
}

# endpoint and token come from FLOE_ENDPOINT and FLOE_API_TOKEN.
provider "floe" {}

resource "floe_source_cluster" "tableflow_cluster_1" {
  name = "tableflow_cluster_1"
  bootstrap_brokers = [
    { hostname = "localhost", port = 9092 },
  ]
}

resource "floe_source_cluster" "tableflow_cluster_2" {
  name = "tableflow_cluster_2"
  bootstrap_brokers = [
    { hostname = "broker1.kafkaserver.com", port = 9092 },
    { hostname = "broker2.kafkaserver.com", port = 9092 },
  ]
  # Names of environment variables; the agents read TABLEFLOW_SASL_USERNAME_ENV_VAR and
  # TABLEFLOW_SASL_PASSWORD_ENV_VAR.
  credentials = {
    sasl_username_env = "SASL_USERNAME_ENV_VAR"
    sasl_password_env = "SASL_PASSWORD_ENV_VAR"
    use_tls           = true
    sasl_mechanism    = "plain"
  }
}

resource "floe_table" "example_json_logs" {
  source_cluster_name = floe_source_cluster.tableflow_cluster_1.name
  source_topic        = "example_json_logs_topic"
  source_format       = "json"
  schema_mode         = "inline"
  partitioning_scheme = "hour"

  schema = {
    fields = [
      { name = "environment", type = "string", id = 1 },
      { name = "service", type = "string", id = 2 },
      { name = "status", type = "string", id = 3 },
      { name = "message", type = "string", id = 4 },
    ]
  }
}

resource "floe_table" "example_avro_events" {
  source_cluster_name = floe_source_cluster.tableflow_cluster_2.name
  source_topic        = "example_avro_events_topic"
  source_format       = "avro"
  schema_mode         = "inline"

  schema = {
    fields = [
      { name = "event_id", id = 1, type = "string" },
      { name = "user_id", id = 2, type = "long" },
      { name = "session_id", id = 3, type = "string" },
      {
        name = "profile", id = 4, type = "struct"
        fields = [
          { name = "country", id = 5, type = "string" },
          { name = "language", id = 6, type = "string" },
        ]
      },
      {
        name = "device", id = 7, type = "struct"
        fields = [
          { name = "type", id = 8, type = "string" },
          {
            name = "os", id = 9, type = "struct"
            fields = [
              { name = "name", id = 10, type = "string" },
              { name = "version", id = 11, type = "string" },
              { name = "vendor", id = 25, type = "string", optional = true },
            ]
          },
          {
            name = "browser", id = 12, type = "struct"
            fields = [
              { name = "name", id = 13, type = "string" },
              { name = "version", id = 14, type = "string" },
            ]
          },
          {
            name = "screen", id = 15, type = "struct"
            fields = [
              { name = "width", id = 16, type = "int" },
              { name = "height", id = 17, type = "int" },
              { name = "pixel_ratio", id = 18, type = "double" },
              { name = "model", id = 19, type = "string", optional = true },
            ]
          },
        ]
      },
      {
        name = "cookies", id = 20, type = "list"
        fields = [
          { name = "element", id = 21, type = "string" },
        ]
      },
      {
        name = "event_attributes", id = 22, type = "map"
        fields = [
          { name = "key", id = 23, type = "string" },
          { name = "value", id = 24, type = "string" },
        ]
      },
    ]
  }
}

output "tables" {
  value = [floe_table.example_json_logs.name, floe_table.example_avro_events.name]
}
