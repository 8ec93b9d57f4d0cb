package provider

import (
	"context"
	"fmt"
	"net"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

func sourceClusterConfig(endpoint, token, name, host, port, extra string) string {
	return providerConfig(endpoint, token) + fmt.Sprintf(`
resource "floe_source_cluster" "c" {
  name = %q
  bootstrap_brokers = [
    { hostname = %q, port = %s },
  ]%s
}
`, name, host, port, extra)
}

func sourceClusterSteps(t *testing.T, endpoint, token, name, host, port string) []resource.TestStep {
	withSASL := `
  credentials = {
    use_tls           = true
    sasl_mechanism    = "scram-512"
    sasl_username_env = "ACC_SASL_USERNAME"
    sasl_password_env = "ACC_SASL_PASSWORD"
  }`
	return []resource.TestStep{
		{
			Config: sourceClusterConfig(endpoint, token, name, host, port, ""),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("floe_source_cluster.c", "id", name),
				resource.TestCheckResourceAttr("floe_source_cluster.c", "bootstrap_brokers.#", "1"),
				resource.TestCheckNoResourceAttr("floe_source_cluster.c", "credentials"),
			),
		},
		{
			Config: sourceClusterConfig(endpoint, token, name, host, port, withSASL),
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("floe_source_cluster.c", "credentials.sasl_mechanism", "scram-512"),
				resource.TestCheckResourceAttr("floe_source_cluster.c", "credentials.tls_insecure_skip_verify", "false"),
				resource.TestCheckResourceAttr("floe_source_cluster.c", "credentials.sasl_password_env", "ACC_SASL_PASSWORD"),
				func(*terraform.State) error {
					sc, err := NewClient(endpoint, token, "test").GetSourceCluster(context.Background(), name)
					if err != nil {
						return err
					}
					if sc.Credentials == nil || sc.Credentials.SASLUsernameEnv != "ACC_SASL_USERNAME" || !sc.Credentials.UseTLS {
						return fmt.Errorf("API holds %+v", sc.Credentials)
					}
					return nil
				},
			),
		},
		{
			ResourceName:      "floe_source_cluster.c",
			ImportState:       true,
			ImportStateId:     name,
			ImportStateVerify: true,
		},
		{
			// Back to no credentials: the block is removed through the API too.
			Config: sourceClusterConfig(endpoint, token, name, host, port, ""),
			Check:  resource.TestCheckNoResourceAttr("floe_source_cluster.c", "credentials"),
		},
	}
}

func TestSourceClusterResourceWithFakeAPI(t *testing.T) {
	requireTerraformBinary(t)
	api := newFakeAPI("tok")
	defer api.Close()
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    sourceClusterSteps(t, api.URL, "tok", "fake-cluster", "127.0.0.1", "9092"),
	})
}

func TestAccSourceClusterResource(t *testing.T) {
	testAccPreCheck(t)
	host, port, _ := net.SplitHostPort(rig["KAFKA_BOOTSTRAP"])
	name := "acc_cluster_" + randomSuffix()
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			if _, err := agent.client().GetSourceCluster(context.Background(), name); !IsNotFound(err) {
				return fmt.Errorf("source cluster %s still exists (or error: %v)", name, err)
			}
			return nil
		},
		Steps: sourceClusterSteps(t, agent.endpoint, agent.token, name, host, port),
	})
}

func TestSourceClusterRejectsBadEnvName(t *testing.T) {
	requireTerraformBinary(t)
	api := newFakeAPI("tok")
	defer api.Close()
	runUnitTest(t, sourceClusterConfig(api.URL, "tok", "c", "h", "1", `
  credentials = { sasl_username_env = "1BAD-NAME", sasl_password_env = "P" }`),
		"must be an environment variable name")
}
