# A table is imported by its name, <source_cluster_name>+<source_topic>.
terraform import floe_table.events 'tableflow_cluster_2+example_avro_events_topic'
