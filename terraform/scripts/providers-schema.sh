#!/usr/bin/env bash
# Prints `providers schema -json` of the provider built from this checkout, as OpenTofu (or
# Terraform) sees it, without any registry: the binary is found through dev_overrides.
#
#   scripts/providers-schema.sh > schema.json
#
# TF binary: $TOFU_BIN, else $TF_ACC_TERRAFORM_PATH, else `tofu` or `terraform` on PATH.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tf="${TOFU_BIN:-${TF_ACC_TERRAFORM_PATH:-$(command -v tofu || command -v terraform || true)}}"
if [ -z "$tf" ] || [ ! -x "$tf" ]; then
  echo "providers-schema.sh: no tofu/terraform binary (set TOFU_BIN, or run \`npm run rig:up\` and source test/rig/rig.env)" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/config"
(cd "$root" && go build -o "$work/bin/terraform-provider-floe" .)
cat > "$work/cli.tfrc" <<CFG
provider_installation {
  dev_overrides {
    "floe.dev/floe/floe" = "$work/bin"
  }
  direct {}
}
CFG
cat > "$work/config/main.tf" <<'CFG'
terraform {
  required_providers {
    floe = { source = "floe.dev/floe/floe" }
  }
}
CFG
# dev_overrides prints a warning on stderr; the schema on stdout is all we want.
(cd "$work/config" && TF_CLI_CONFIG_FILE="$work/cli.tfrc" TF_IN_AUTOMATION=1 "$tf" providers schema -json 2>/dev/null)
