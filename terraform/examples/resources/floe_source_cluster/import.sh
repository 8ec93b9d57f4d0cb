# A source cluster is imported by its name.
terraform import floe_source_cluster.remote tableflow_cluster_2
