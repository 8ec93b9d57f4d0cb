# A plaintext listener without authentication.
resource "floe_source_cluster" "local" {
  name = "tableflow_cluster_1"
  bootstrap_brokers = [
    { hostname = "localhost", port = 9092 },
  ]
}

# SASL over TLS. The *_env attributes name environment variables on the agents, which read them
# with a TABLEFLOW_ prefix (TABLEFLOW_SASL_USERNAME_ENV_VAR, ...); no secret is in the configuration.
resource "floe_source_cluster" "remote" {
  name = "tableflow_cluster_2"
  bootstrap_brokers = [
    { hostname = "broker1.kafkaserver.com", port = 9092 },
    { hostname = "broker2.kafkaserver.com", port = 9092 },
  ]
  credentials = {
    use_tls           = true
    sasl_mechanism    = "plain"
    sasl_username_env = "SASL_USERNAME_ENV_VAR"
    sasl_password_env = "SASL_PASSWORD_ENV_VAR"
  }
}
