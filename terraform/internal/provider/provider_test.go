package provider

// Test harness. Three kinds of tests live in this package:
//   - plain unit tests (client, schema conversion): no binaries needed;
//   - provider tests against an in-memory fake API (fakeapi_test.go): need a tofu/terraform binary
//     and are skipped without one unless TF_ACC is set;
//   - acceptance tests TestAcc* (TF_ACC=1): against a real Floe agent that TestMain starts on the
//     test rig (test/rig/rig.env: KAFKA_BOOTSTRAP, TOFU_BIN). With TF_ACC set, a missing rig fails
//     them rather than skipping: `npm test` runs them and must not pass vacuously.
//     FLOE_ACC_ENDPOINT / FLOE_ACC_TOKEN point them at an agent already running instead.

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// testAccProtoV6ProviderFactories serves the provider in-process; the test binary reattaches it,
// so no registry or install is involved.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"floe": providerserver.NewProtocol6WithError(New("test")()),
}

// providerBlock is the terraform block every test configuration starts with: the provider's
// qualified address (TF_ACC_PROVIDER_HOST / _NAMESPACE below make plugin-testing reattach it there).
const providerBlock = `
terraform {
  required_providers {
    floe = { source = "floe.dev/floe/floe" }
  }
}
`

var (
	repoRoot = func() string { p, _ := filepath.Abs("../../.."); return p }()
	// rig is test/rig/rig.env merged under the process environment; nil when not found.
	rig map[string]string
	// tfBinary is the tofu (or terraform) binary the tests run, "" when none was found.
	tfBinary string
	// agent is the real agent the acceptance tests talk to (TF_ACC only).
	agent *testAgent
	// accSetupErr says why the acceptance environment could not be prepared.
	accSetupErr error
)

func TestMain(m *testing.M) {
	rig = loadRigEnv()
	tfBinary = findTerraformBinary()
	if tfBinary != "" {
		os.Setenv("TF_ACC_TERRAFORM_PATH", tfBinary)
	}
	os.Setenv("TF_ACC_PROVIDER_HOST", "floe.dev")
	os.Setenv("TF_ACC_PROVIDER_NAMESPACE", "floe")
	// The provider itself must not pick up a developer's settings.
	os.Unsetenv(EnvEndpoint)
	os.Unsetenv(EnvToken)

	if os.Getenv("TF_ACC") != "" {
		switch {
		case rig == nil || rig["KAFKA_BOOTSTRAP"] == "":
			accSetupErr = errors.New("TF_ACC is set but the test rig is not running: test/rig/rig.env (or KAFKA_BOOTSTRAP) is missing; run `npm run rig:up`")
		case tfBinary == "":
			accSetupErr = errors.New("TF_ACC is set but no tofu binary was found: set TOFU_BIN or TF_ACC_TERRAFORM_PATH (rig.env provides TOFU_BIN)")
		case os.Getenv("FLOE_ACC_ENDPOINT") != "":
			// An agent the developer runs (e.g. with a debugger attached); it must have a source
			// cluster named "rig".
			agent = &testAgent{endpoint: os.Getenv("FLOE_ACC_ENDPOINT"), token: os.Getenv("FLOE_ACC_TOKEN"), cluster: "rig", external: true}
		default:
			agent, accSetupErr = startAgent(rig["KAFKA_BOOTSTRAP"])
		}
	}
	code := m.Run()
	if agent != nil {
		agent.stop()
	}
	os.Exit(code)
}

// testAccPreCheck skips an acceptance test without TF_ACC, and fails (never skips) one whose
// environment is missing under TF_ACC.
func testAccPreCheck(t *testing.T) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (needs the test rig: npm run rig:up)")
	}
	if accSetupErr != nil {
		t.Fatal(accSetupErr)
	}
	if agent == nil {
		t.Fatal("acceptance environment not prepared (is TF_ACC set?)")
	}
}

// requireTerraformBinary skips provider tests that need a CLI when none is installed, except
// under TF_ACC, where a missing binary is a failure.
func requireTerraformBinary(t *testing.T) {
	t.Helper()
	if tfBinary != "" {
		return
	}
	if os.Getenv("TF_ACC") != "" {
		t.Fatal("no tofu/terraform binary: set TOFU_BIN or TF_ACC_TERRAFORM_PATH")
	}
	t.Skip("no tofu/terraform binary (set TOFU_BIN or TF_ACC_TERRAFORM_PATH, or start the rig)")
}

func loadRigEnv() map[string]string {
	file := os.Getenv("FLOE_RIG_ENV")
	if file == "" {
		file = filepath.Join(repoRoot, "test", "rig", "rig.env")
	}
	out := map[string]string{}
	if f, err := os.Open(file); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
			if !ok {
				continue
			}
			if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
				v = v[1 : len(v)-1]
			}
			out[k] = v
		}
	}
	for _, k := range []string{"KAFKA_BOOTSTRAP", "TOFU_BIN"} {
		if v := os.Getenv(k); v != "" {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func findTerraformBinary() string {
	candidates := []string{os.Getenv("TF_ACC_TERRAFORM_PATH")}
	if rig != nil {
		candidates = append(candidates, rig["TOFU_BIN"])
	}
	if p, err := exec.LookPath("tofu"); err == nil {
		candidates = append(candidates, p)
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if st, err := os.Stat(c); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return c
		}
	}
	return ""
}

func randomSuffix() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// testAgent is a Floe agent process started for the acceptance tests: a file:// warehouse in a
// temporary directory, the rig's Kafka, a random API token, a free port.
type testAgent struct {
	cmd       *exec.Cmd
	dir       string
	endpoint  string
	token     string
	logPath   string
	cluster   string // a source cluster present in the agent's configuration from the start
	warehouse string
	done      chan error
	external  bool
}

func startAgent(bootstrap string) (*testAgent, error) {
	host, port, err := net.SplitHostPort(bootstrap)
	if err != nil {
		return nil, fmt.Errorf("KAFKA_BOOTSTRAP %q: %w", bootstrap, err)
	}
	dir, err := os.MkdirTemp("", "floe-tf-acc-")
	if err != nil {
		return nil, err
	}
	a := &testAgent{dir: dir, token: "acc-" + randomSuffix() + randomSuffix(), cluster: "rig", warehouse: filepath.Join(dir, "warehouse"), done: make(chan error, 1)}
	config := fmt.Sprintf(`source_clusters:
  - name: %s
    bootstrap_brokers:
      - hostname: %s
        port: %s
tables: []
destination_bucket_url: file://%s
`, a.cluster, host, port, a.warehouse)
	configPath := filepath.Join(dir, "floe.yaml")
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		return nil, err
	}
	listenPort, err := freePort()
	if err != nil {
		return nil, err
	}
	a.endpoint = fmt.Sprintf("http://127.0.0.1:%d", listenPort)
	a.logPath = filepath.Join(dir, "agent.log")
	logFile, err := os.Create(a.logPath)
	if err != nil {
		return nil, err
	}
	// node-env.sh puts Node 24 first on PATH (provisioning it if needed), as every project script does.
	script := `source scripts/node-env.sh && exec node agent/src/cli/main.ts agent --config "$1" --listen "$2"`
	a.cmd = exec.Command("bash", "-c", script, "floe-agent", configPath, fmt.Sprintf("127.0.0.1:%d", listenPort))
	a.cmd.Dir = repoRoot
	a.cmd.Env = append(os.Environ(), "FLOE_API_TOKEN="+a.token, "FLOE_LOG_LEVEL=warn", "FLOE_ROOT="+repoRoot)
	a.cmd.Stdout, a.cmd.Stderr = logFile, logFile
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { a.done <- a.cmd.Wait(); logFile.Close() }()

	// Ready when the control API answers with the configured source cluster.
	deadline := time.Now().Add(90 * time.Second)
	c := NewClient(a.endpoint, a.token, "acc-test")
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := c.GetSourceCluster(ctx, a.cluster)
		cancel()
		if err == nil {
			return a, nil
		}
		select {
		case exitErr := <-a.done:
			a.done <- exitErr
			return nil, fmt.Errorf("the agent exited during startup (%v); log %s:\n%s", exitErr, a.logPath, a.logTail())
		default:
		}
		if time.Now().After(deadline) {
			a.stop()
			return nil, fmt.Errorf("the agent's control API at %s did not answer within 90s (last error: %v); log %s:\n%s", a.endpoint, err, a.logPath, a.logTail())
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func (a *testAgent) client() *Client { return NewClient(a.endpoint, a.token, "acc-test") }

func (a *testAgent) logTail() string {
	b, _ := os.ReadFile(a.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// stop ends the agent's process group (bash exec'd into node, so it is one process) and removes
// its temporary directory.
func (a *testAgent) stop() {
	if a.external {
		return
	}
	if a.cmd.Process != nil {
		syscall.Kill(-a.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-a.done:
		case <-time.After(15 * time.Second):
			syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
			<-a.done
		}
	}
	os.RemoveAll(a.dir)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// providerConfig is the provider block for an endpoint and token.
func providerConfig(endpoint, token string) string {
	return providerBlock + fmt.Sprintf(`
provider "floe" {
  endpoint = %q
  token    = %q
}
`, endpoint, token)
}

func TestProviderSchemaIsValid(t *testing.T) {
	// Building every resource and data source schema catches invalid combinations (e.g. defaults
	// on non-computed attributes) without any binary.
	resp, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	schemaResp, err := resp.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range schemaResp.Diagnostics {
		t.Errorf("%s: %s", d.Summary, d.Detail)
	}
	for _, name := range []string{"floe_source_cluster", "floe_table"} {
		if _, ok := schemaResp.ResourceSchemas[name]; !ok {
			t.Errorf("resource %s missing", name)
		}
	}
	if _, ok := schemaResp.DataSourceSchemas["floe_table_status"]; !ok {
		t.Error("data source floe_table_status missing")
	}
}

func TestProviderConfigureNeedsEndpointAndToken(t *testing.T) {
	requireTerraformBinary(t)
	runUnitTest(t, providerBlock+`
provider "floe" {}
resource "floe_source_cluster" "c" {
  name              = "c"
  bootstrap_brokers = [{ hostname = "127.0.0.1", port = 9092 }]
}
`, "Missing Floe API endpoint")
}

func TestProviderRejectsWrongToken(t *testing.T) {
	requireTerraformBinary(t)
	api := newFakeAPI("right")
	defer api.Close()
	runUnitTest(t, providerConfig(api.URL, "wrong")+`
resource "floe_source_cluster" "c" {
  name              = "c"
  bootstrap_brokers = [{ hostname = "127.0.0.1", port = 9092 }]
}
`, "Floe API refused the credentials")
}

func TestProviderEndpointFromEnvironment(t *testing.T) {
	requireTerraformBinary(t)
	api := newFakeAPI("tok")
	defer api.Close()
	t.Setenv(EnvEndpoint, api.URL)
	t.Setenv(EnvToken, "tok")
	runUnitTestOK(t, providerBlock+`
resource "floe_source_cluster" "c" {
  name              = "from-env"
  bootstrap_brokers = [{ hostname = "127.0.0.1", port = 9092 }]
}
`)
	if api.validations == 0 {
		t.Error("expected a plan-time validation call against the endpoint from " + EnvEndpoint)
	}
}

// messageRegexp matches a literal message in CLI output, which wraps long lines anywhere a
// space was.
func messageRegexp(message string) *regexp.Regexp {
	words := strings.Fields(message)
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(strings.Join(words, `\s+`))
}

// runUnitTest applies config once, expecting an error with the literal message expectErr.
func runUnitTest(t *testing.T, config, expectErr string) {
	t.Helper()
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    []resource.TestStep{{Config: config, ExpectError: messageRegexp(expectErr)}},
	})
}

// runUnitTestOK applies config and destroys it.
func runUnitTestOK(t *testing.T, config string) {
	t.Helper()
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    []resource.TestStep{{Config: config}},
	})
}
