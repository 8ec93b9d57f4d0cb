package provider

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// eventsFields renders the seed's Avro events schema (tableflow-setup.txt) as HCL, with the type
// of user_id and extra top-level fields as parameters.
func eventsFields(userIDType, extra string) string {
	return fmt.Sprintf(`
      { name = "event_id", id = 1, type = "string" },
      { name = "user_id", id = 2, type = %q },
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
        fields = [{ name = "element", id = 21, type = "string" }]
      },
      {
        name = "event_attributes", id = 22, type = "map"
        fields = [
          { name = "key", id = 23, type = "string" },
          { name = "value", id = 24, type = "string" },
        ]
      },%s`, userIDType, extra)
}

// tableScenario is one cluster and one table on an API endpoint.
type tableScenario struct {
	endpoint, token string
	cluster, topic  string
	host            string
	port            string
}

func (s tableScenario) name() string { return TableName(s.cluster, s.topic) }

func (s tableScenario) config(fields string) string {
	return providerConfig(s.endpoint, s.token) + fmt.Sprintf(`
resource "floe_source_cluster" "c" {
  name              = %q
  bootstrap_brokers = [{ hostname = %q, port = %s }]
}

resource "floe_table" "t" {
  source_cluster_name = floe_source_cluster.c.name
  source_topic        = %q
  source_format       = "avro"
  flush               = { interval_seconds = 10 }
  schema = {
    fields = [%s
    ]
  }
}
`, s.cluster, s.host, s.port, s.topic, fields)
}

// lifecycleSteps: create, read, update (add columns), import, a refused migration at plan time,
// drift made through the API, and (by the test framework) destroy.
func (s tableScenario) lifecycleSteps(t *testing.T) []resource.TestStep {
	v1 := s.config(eventsFields("long", ""))
	added := `
      { name = "referrer", id = 26, type = "string", optional = true },`
	v2 := s.config(strings.Replace(eventsFields("long", added),
		`{ name = "vendor", id = 25, type = "string", optional = true },`,
		`{ name = "vendor", id = 25, type = "string", optional = true },
              { name = "build", id = 27, type = "string", optional = true },`, 1))
	return []resource.TestStep{
		{
			Config: v1,
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("floe_table.t", "name", s.name()),
				resource.TestCheckResourceAttr("floe_table.t", "id", s.name()),
				resource.TestCheckResourceAttr("floe_table.t", "schema_mode", "inline"),
				resource.TestCheckResourceAttr("floe_table.t", "partitioning_scheme", "unpartitioned"),
				resource.TestCheckResourceAttr("floe_table.t", "flush.interval_seconds", "10"),
				resource.TestCheckResourceAttr("floe_table.t", "flush.max_records", "1000000"),
				resource.TestCheckResourceAttr("floe_table.t", "delta.enabled", "true"),
				resource.TestCheckResourceAttr("floe_table.t", "schema.fields.#", "7"),
				resource.TestCheckResourceAttr("floe_table.t", "schema.fields.1.type", "long"),
				resource.TestCheckResourceAttr("floe_table.t", "schema.fields.1.optional", "false"),
				resource.TestCheckResourceAttr("floe_table.t", "schema.fields.4.fields.1.fields.2.name", "vendor"),
				resource.TestCheckResourceAttr("floe_table.t", "schema.fields.4.fields.1.fields.2.optional", "true"),
				resource.TestCheckResourceAttr("floe_table.t", "schema.fields.6.fields.1.name", "value"),
				resource.TestCheckResourceAttr("floe_source_cluster.c", "bootstrap_brokers.0.port", s.port),
			),
		},
		{
			Config: v2,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("floe_table.t", plancheck.ResourceActionUpdate),
				plancheck.ExpectResourceAction("floe_source_cluster.c", plancheck.ResourceActionNoop),
			}},
			Check: resource.ComposeAggregateTestCheckFunc(
				resource.TestCheckResourceAttr("floe_table.t", "schema.fields.#", "8"),
				resource.TestCheckResourceAttr("floe_table.t", "schema.fields.7.name", "referrer"),
				resource.TestCheckResourceAttr("floe_table.t", "schema.fields.4.fields.1.fields.3.name", "build"),
				s.checkAPI(func(tb *Table) error {
					if n := len(tb.Schema.Fields); n != 8 {
						return fmt.Errorf("API has %d top-level fields, want 8", n)
					}
					return nil
				}),
			),
		},
		{
			ResourceName:      "floe_table.t",
			ImportState:       true,
			ImportStateId:     s.name(),
			ImportStateVerify: true,
		},
		{
			ResourceName:      "floe_source_cluster.c",
			ImportState:       true,
			ImportStateId:     s.cluster,
			ImportStateVerify: true,
		},
		{
			// long -> int narrows: the API refuses it, and the plan already says so.
			Config: s.config(strings.Replace(eventsFields("int", added), `{ name = "vendor", id = 25, type = "string", optional = true },`, `{ name = "vendor", id = 25, type = "string", optional = true },
              { name = "build", id = 27, type = "string", optional = true },`, 1)),
			PlanOnly:    true,
			ExpectError: messageRegexp(`user_id (id 2): type change long -> int`),
		},
		{
			// Drift: the flush interval is changed through the API; the next plan puts it back.
			PreConfig: func() {
				c := NewClient(s.endpoint, s.token, "test")
				tb, err := c.GetTable(context.Background(), s.name())
				if err != nil {
					t.Fatalf("drift: %v", err)
				}
				tb.Flush.IntervalSeconds = 30
				if _, err := c.PutTable(context.Background(), *tb); err != nil {
					t.Fatalf("drift: %v", err)
				}
			},
			Config:             v2,
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("floe_table.t", plancheck.ResourceActionUpdate),
			}},
		},
		{
			Config: v2,
			Check:  resource.TestCheckResourceAttr("floe_table.t", "flush.interval_seconds", "10"),
		},
	}
}

func (s tableScenario) checkAPI(check func(*Table) error) resource.TestCheckFunc {
	return func(*terraform.State) error {
		tb, err := NewClient(s.endpoint, s.token, "test").GetTable(context.Background(), s.name())
		if err != nil {
			return err
		}
		return check(tb)
	}
}

func (s tableScenario) checkDestroyed(*terraform.State) error {
	c := NewClient(s.endpoint, s.token, "test")
	if _, err := c.GetTable(context.Background(), s.name()); !IsNotFound(err) {
		return fmt.Errorf("table %s still exists (or error: %v)", s.name(), err)
	}
	if _, err := c.GetSourceCluster(context.Background(), s.cluster); !IsNotFound(err) {
		return fmt.Errorf("source cluster %s still exists (or error: %v)", s.cluster, err)
	}
	return nil
}

func TestTableResourceWithFakeAPI(t *testing.T) {
	requireTerraformBinary(t)
	api := newFakeAPI("tok")
	defer api.Close()
	s := tableScenario{endpoint: api.URL, token: "tok", cluster: "fake", topic: "events", host: "127.0.0.1", port: "9092"}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             s.checkDestroyed,
		Steps:                    s.lifecycleSteps(t),
	})
}

func TestAccTableResource(t *testing.T) {
	testAccPreCheck(t)
	host, port, _ := net.SplitHostPort(rig["KAFKA_BOOTSTRAP"])
	suffix := randomSuffix()
	s := tableScenario{endpoint: agent.endpoint, token: agent.token, cluster: "acc_" + suffix, topic: "acc-events-" + suffix, host: host, port: port}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { testAccPreCheck(t) },
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             s.checkDestroyed,
		Steps:                    s.lifecycleSteps(t),
	})
}

func TestTableSchemaCheckedOffline(t *testing.T) {
	requireTerraformBinary(t)
	api := newFakeAPI("tok")
	defer api.Close()
	s := tableScenario{endpoint: api.URL, token: "tok", cluster: "c", topic: "t", host: "h", port: "1"}
	runUnitTest(t, s.config(`
      { name = "tags", id = 1, type = "list", fields = [{ name = "item", id = 2, type = "string" }] },`),
		`tags is a list and needs exactly one entry in fields, named element (got item)`)
	if api.validations != 0 {
		t.Errorf("the structural check should stop before the API is asked (%d validations)", api.validations)
	}
}

func TestTableKeepsTypeSpelling(t *testing.T) {
	requireTerraformBinary(t)
	api := newFakeAPI("tok")
	defer api.Close()
	s := tableScenario{endpoint: api.URL, token: "tok", cluster: "c", topic: "money", host: "h", port: "1"}
	// The fake answers `decimal(10, 2)`; the configuration's spelling must not cause a diff (the
	// test framework fails on a non-empty plan after apply).
	runUnitTestOK(t, s.config(`
      { name = "amount", id = 1, type = "Decimal(10,2)" },`))
}

// --- plan text: what a reviewer sees in a pull request

var (
	providerBinOnce sync.Once
	providerBinDir  string
	providerBinErr  error
)

// providerBinary builds terraform-provider-floe once per test run for the CLI-driven tests.
func providerBinary(t *testing.T) string {
	t.Helper()
	providerBinOnce.Do(func() {
		providerBinDir, providerBinErr = os.MkdirTemp("", "floe-provider-bin-")
		if providerBinErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(providerBinDir, "terraform-provider-floe"), ".")
		cmd.Dir = filepath.Join(repoRoot, "terraform")
		if out, err := cmd.CombinedOutput(); err != nil {
			providerBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if providerBinErr != nil {
		t.Fatal(providerBinErr)
	}
	return providerBinDir
}

// tofuCLI runs the CLI in dir with the provider found through dev_overrides.
type tofuCLI struct {
	t   *testing.T
	dir string
	env []string
}

func newTofuCLI(t *testing.T) *tofuCLI {
	bin := providerBinary(t)
	dir := t.TempDir()
	rc := filepath.Join(dir, "cli.tfrc")
	os.WriteFile(rc, []byte(fmt.Sprintf(`provider_installation {
  dev_overrides {
    "floe.dev/floe/floe" = %q
  }
  direct {}
}
`, bin)), 0o644)
	work := filepath.Join(dir, "work")
	os.MkdirAll(work, 0o755)
	return &tofuCLI{t: t, dir: work, env: append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "NO_COLOR=1")}
}

func (c *tofuCLI) write(config string) {
	if err := os.WriteFile(filepath.Join(c.dir, "main.tf"), []byte(config), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

func (c *tofuCLI) run(args ...string) (string, error) {
	cmd := exec.Command(tfBinary, args...)
	cmd.Dir = c.dir
	cmd.Env = c.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (c *tofuCLI) must(args ...string) string {
	out, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("%s %s: %v\n%s", filepath.Base(tfBinary), strings.Join(args, " "), err, out)
	}
	return out
}

// planTextScenario applies a table, edits its schema, and checks the plan as a reviewer reads it:
// one line per changed attribute of one field, and the new field as an added object.
func planTextScenario(t *testing.T, s tableScenario) {
	cli := newTofuCLI(t)
	defer cli.run("destroy", "-auto-approve", "-no-color")
	cli.write(s.config(`
      { name = "id", id = 1, type = "long" },
      { name = "count", id = 2, type = "int" },
      {
        name = "device", id = 3, type = "struct"
        fields = [{ name = "model", id = 4, type = "string", optional = true }]
      },`))
	cli.must("apply", "-auto-approve", "-no-color")

	cli.write(s.config(`
      { name = "id", id = 1, type = "long" },
      { name = "count", id = 2, type = "long" },
      {
        name = "device", id = 3, type = "struct"
        fields = [
          { name = "model", id = 4, type = "string", optional = true },
          { name = "os", id = 6, type = "string", optional = true },
        ]
      },
      { name = "new_col", id = 5, type = "string", optional = true },`))
	plan := cli.must("plan", "-no-color")
	t.Logf("plan after the schema edit:\n%s", plan)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`# floe_table\.t will be updated in-place`),
		regexp.MustCompile(`~ type\s+= "int" -> "long"`),
		regexp.MustCompile(`\+ \{\s+\+ id\s+= 5\s+\+ name\s+= "new_col"\s+\+ optional = true\s+\+ type\s+= "string"`),
		regexp.MustCompile(`\+ \{\s+\+ id\s+= 6\s+\+ name\s+= "os"`),
		regexp.MustCompile(`Plan: 0 to add, 1 to change, 0 to destroy`),
	} {
		if !want.MatchString(plan) {
			t.Errorf("plan output lacks %s:\n%s", want, plan)
		}
	}
	if strings.Contains(plan, "jsonencode") || strings.Contains(plan, `"fields":`) {
		t.Errorf("the schema diff should be per attribute, not a JSON string:\n%s", plan)
	}

	// A refused change fails at plan, with the API's message.
	cli.write(s.config(`
      { name = "id", id = 1, type = "int" },
      { name = "count", id = 2, type = "int" },
      {
        name = "device", id = 3, type = "struct"
        fields = [{ name = "model", id = 4, type = "string", optional = true }]
      },`))
	out, err := cli.run("plan", "-no-color")
	if err == nil || !messageRegexp(`id (id 1): type change long -> int`).MatchString(out) {
		t.Errorf("plan should fail with the API's message (err=%v):\n%s", err, out)
	}
	t.Logf("plan of a refused change:\n%s", out)
}

func TestTablePlanTextWithFakeAPI(t *testing.T) {
	requireTerraformBinary(t)
	api := newFakeAPI("tok")
	defer api.Close()
	planTextScenario(t, tableScenario{endpoint: api.URL, token: "tok", cluster: "c", topic: "plan-text", host: "h", port: "1"})
}

func TestAccTablePlanText(t *testing.T) {
	testAccPreCheck(t)
	host, port, _ := net.SplitHostPort(rig["KAFKA_BOOTSTRAP"])
	suffix := randomSuffix()
	planTextScenario(t, tableScenario{endpoint: agent.endpoint, token: agent.token, cluster: "acc_plan_" + suffix, topic: "acc-plan-" + suffix, host: host, port: port})
}
