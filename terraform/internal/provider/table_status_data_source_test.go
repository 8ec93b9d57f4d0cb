package provider

import (
	"fmt"
	"net"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

func statusConfig(s tableScenario) string {
	return s.config(`
      { name = "id", id = 1, type = "long" },`) + `
data "floe_table_status" "s" {
  name = floe_table.t.name
}
`
}

func TestTableStatusDataSourceWithFakeAPI(t *testing.T) {
	requireTerraformBinary(t)
	api := newFakeAPI("tok")
	defer api.Close()
	s := tableScenario{endpoint: api.URL, token: "tok", cluster: "c", topic: "status", host: "h", port: "1"}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: statusConfig(s),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("data.floe_table_status.s", "name", "c+status"),
				resource.TestCheckResourceAttr("data.floe_table_status.s", "snapshot_id", "123"),
				resource.TestCheckResourceAttr("data.floe_table_status.s", "partitions.0.offset_lag", "2"),
				resource.TestCheckResourceAttr("data.floe_table_status.s", "data_bytes", "10"),
				resource.TestCheckResourceAttr("data.floe_table_status.s", "dlq_records", "0"),
			),
		}},
	})
}

func TestAccTableStatusDataSource(t *testing.T) {
	testAccPreCheck(t)
	host, port, _ := net.SplitHostPort(rig["KAFKA_BOOTSTRAP"])
	suffix := randomSuffix()
	s := tableScenario{endpoint: agent.endpoint, token: agent.token, cluster: "acc_status_" + suffix, topic: "acc-status-" + suffix, host: host, port: port}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: statusConfig(s),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("data.floe_table_status.s", "name", fmt.Sprintf("%s+%s", s.cluster, s.topic)),
				resource.TestCheckResourceAttrSet("data.floe_table_status.s", "exists"),
				resource.TestCheckResourceAttrSet("data.floe_table_status.s", "data_files"),
			),
		}},
	})
}
