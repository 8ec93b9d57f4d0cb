data "floe_table_status" "events" {
  name = floe_table.events.name
}

output "events_offset_lag" {
  value = data.floe_table_status.events.offset_lag
}
