package provider

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestExamplesValidate validates the documentation examples (terraform/examples, one
// configuration with all of them) and plans the seed's HCL example (examples/hcl) against the
// fake API, so examples cannot rot.
func TestExamplesValidate(t *testing.T) {
	requireTerraformBinary(t)
	cli := newTofuCLI(t)
	for _, pattern := range []string{"examples/provider/*.tf", "examples/resources/*/*.tf", "examples/data-sources/*/*.tf"} {
		files, _ := filepath.Glob(filepath.Join(repoRoot, "terraform", pattern))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Base(filepath.Dir(f)) + "_" + filepath.Base(f)
			if err := os.WriteFile(filepath.Join(cli.dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	cli.must("validate", "-no-color")
}

func TestExamplesHCLPlan(t *testing.T) {
	requireTerraformBinary(t)
	api := newFakeAPI("tok")
	defer api.Close()
	cli := newTofuCLI(t)
	b, err := os.ReadFile(filepath.Join(repoRoot, "examples", "hcl", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	cli.write(string(b))
	cli.env = append(cli.env, EnvEndpoint+"="+api.URL, EnvToken+"=tok")
	plan := cli.must("plan", "-no-color")
	for _, want := range []string{
		`Plan: 4 to add, 0 to change, 0 to destroy`,
		`\+ name\s+= "vendor"`,
	} {
		if !regexp.MustCompile(want).MatchString(plan) {
			t.Errorf("plan lacks %s:\n%s", want, plan)
		}
	}
	if !regexp.MustCompile(`\+ name\s+= "tableflow_cluster_2\+example_avro_events_topic"`).MatchString(plan) {
		t.Errorf("the table's name should be known at plan time:\n%s", plan)
	}
}
