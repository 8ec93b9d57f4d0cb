resource "floe_table" "logs" {
  source_cluster_name = floe_source_cluster.local.name
  source_topic        = "example_json_logs_topic"
  source_format       = "json"
  partitioning_scheme = "hour"

  schema = {
    fields = [
      { name = "environment", id = 1, type = "string" },
      { name = "service", id = 2, type = "string" },
      { name = "status", id = 3, type = "string" },
      { name = "message", id = 4, type = "string" },
    ]
  }

  flush = {
    interval_seconds = 10
  }
}

# Nested types: struct, list (one child named element) and map (key, then value).
resource "floe_table" "events" {
  source_cluster_name = floe_source_cluster.remote.name
  source_topic        = "example_avro_events_topic"
  source_format       = "avro"

  schema = {
    fields = [
      { name = "event_id", id = 1, type = "string" },
      { name = "user_id", id = 2, type = "long" },
      {
        name = "profile", id = 4, type = "struct"
        fields = [
          { name = "country", id = 5, type = "string" },
          { name = "language", id = 6, type = "string" },
        ]
      },
      {
        name   = "cookies", id = 20, type = "list"
        fields = [{ name = "element", id = 21, type = "string" }]
      },
      {
        name = "event_attributes", id = 22, type = "map"
        fields = [
          { name = "key", id = 23, type = "string" },
          { name = "value", id = 24, type = "string" },
        ]
      },
      # Added later: new columns must be optional.
      { name = "referrer", id = 26, type = "string", optional = true },
    ]
  }
}
