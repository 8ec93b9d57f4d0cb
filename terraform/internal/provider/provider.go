// Package provider implements the Floe Terraform / OpenTofu provider: resources that map 1:1 onto
// the agent's control API (floe_source_cluster, floe_table) and a data source for a table's
// ingestion status (floe_table_status).
package provider

import (
	"context"
	"net/url"
	"os"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Address is the provider's source address. It is not on any registry: users build the provider
// and point Terraform / OpenTofu at it with dev_overrides or a filesystem_mirror (README.md). A
// hostname of our own keeps the address identical under Terraform and OpenTofu, whose default
// registries differ.
const Address = "floe.dev/floe/floe"

// Environment variables read when the matching provider attribute is not set.
const (
	EnvEndpoint = "FLOE_ENDPOINT"
	EnvToken    = "FLOE_API_TOKEN"
)

var _ provider.Provider = (*floeProvider)(nil)

type floeProvider struct {
	version string
}

type providerModel struct {
	Endpoint types.String `tfsdk:"endpoint"`
	Token    types.String `tfsdk:"token"`
}

// New returns a constructor for the provider, as providerserver.Serve and the tests expect.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &floeProvider{version: version} }
}

func (p *floeProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "floe"
	resp.Version = p.version
}

func (p *floeProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Declares Floe source clusters and tables (Kafka topics ingested into Apache Iceberg / " +
			"Delta Lake tables) through the control API that every Floe agent serves.",
		Attributes: map[string]schema.Attribute{
			"endpoint": schema.StringAttribute{
				MarkdownDescription: "Base URL of a Floe agent's control API, e.g. `http://127.0.0.1:8080`. " +
					"Any agent of a cluster accepts writes. Defaults to the `" + EnvEndpoint + "` environment variable.",
				Optional: true,
			},
			"token": schema.StringAttribute{
				MarkdownDescription: "Bearer token for the control API (the agents' `FLOE_API_TOKEN`). " +
					"Defaults to the `" + EnvToken + "` environment variable; prefer the variable so the token stays out of configuration.",
				Optional:  true,
				Sensitive: true,
			},
		},
	}
}

func (p *floeProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// An endpoint that depends on another resource is unknown during the first plan. Resources then
	// get no client and skip plan-time validation; apply configures the provider again once known.
	if cfg.Endpoint.IsUnknown() || cfg.Token.IsUnknown() {
		return
	}

	endpoint := os.Getenv(EnvEndpoint)
	if !cfg.Endpoint.IsNull() {
		endpoint = cfg.Endpoint.ValueString()
	}
	token := os.Getenv(EnvToken)
	if !cfg.Token.IsNull() {
		token = cfg.Token.ValueString()
	}

	if strings.TrimSpace(endpoint) == "" {
		resp.Diagnostics.AddAttributeError(path.Root("endpoint"), "Missing Floe API endpoint",
			"Set the provider's endpoint attribute or the "+EnvEndpoint+" environment variable to an agent's control API URL, e.g. http://127.0.0.1:8080.")
	} else if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		resp.Diagnostics.AddAttributeError(path.Root("endpoint"), "Invalid Floe API endpoint",
			"Expected an http:// or https:// URL with a host, got "+quote(endpoint)+".")
	}
	if token == "" {
		resp.Diagnostics.AddAttributeError(path.Root("token"), "Missing Floe API token",
			"Set the provider's token attribute or the "+EnvToken+" environment variable to the agents' API token.")
	}
	if resp.Diagnostics.HasError() {
		return
	}

	client := NewClient(endpoint, token, "terraform-provider-floe/"+p.version)
	resp.ResourceData = client
	resp.DataSourceData = client
}

func (p *floeProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewSourceClusterResource,
		NewTableResource,
	}
}

func (p *floeProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewTableStatusDataSource,
	}
}

// requireClient reports a missing client (the provider's endpoint or token was unknown when it was
// configured) instead of letting a nil client panic.
func requireClient(c *Client, diags *diag.Diagnostics) bool {
	if c != nil {
		return true
	}
	diags.AddError("Floe provider not configured",
		"The provider's endpoint or token is not known yet (it depends on a value computed during apply). "+
			"Apply the resources it depends on first, e.g. with -target.")
	return false
}

// clientFrom turns provider data handed to a resource or data source into the client. nil data
// means the provider is not configured yet (early validation, or an unknown endpoint).
func clientFrom(data any) (*Client, string) {
	if data == nil {
		return nil, ""
	}
	c, ok := data.(*Client)
	if !ok {
		return nil, "expected *provider.Client as provider data; this is a bug in the provider, please report it"
	}
	return c, ""
}
