#!/usr/bin/env bash
# Builds the provider into a local filesystem mirror and prints a CLI configuration that uses it,
# for OpenTofu / Terraform (and cdktf deploy, which runs `init`) without any registry:
#
#   terraform/scripts/mirror.sh ~/.terraform.d/floe-mirror > ~/.floe.tfrc
#   export TF_CLI_CONFIG_FILE=~/.floe.tfrc
#
# Layout: <dir>/floe.dev/floe/floe/<version>/<os>_<arch>/terraform-provider-floe_v<version>.
# FLOE_PROVIDER_VERSION sets the version (default 0.1.0; configurations constrain it to ~> 0.1).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:?usage: mirror.sh MIRROR_DIR}"
version="${FLOE_PROVIDER_VERSION:-0.1.0}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
platform="$(go env GOOS)_$(go env GOARCH)"
out="$dir/floe.dev/floe/floe/$version/$platform"
mkdir -p "$out"
(cd "$root" && go build -trimpath -ldflags "-X main.version=$version" -o "$out/terraform-provider-floe_v$version" .)
cat <<CFG
provider_installation {
  filesystem_mirror {
    path    = "$dir"
    include = ["floe.dev/*/*"]
  }
  direct {
    exclude = ["floe.dev/*/*"]
  }
}
CFG
