package provider

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestDocsUpToDate regenerates docs/ with tfplugindocs into a temporary directory and fails when
// the committed docs differ (CONVENTIONS 15: docs are generated, never hand-edited). It builds
// tfplugindocs from the Go module proxy on first use, so it runs with TF_ACC only.
func TestDocsUpToDate(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("set TF_ACC=1 to check docs/ (builds tfplugindocs)")
	}
	requireTerraformBinary(t)
	cmd := exec.Command("bash", filepath.Join(repoRoot, "terraform", "scripts", "docs.sh"), "--check")
	cmd.Env = append(os.Environ(), "TOFU_BIN="+tfBinary)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}
