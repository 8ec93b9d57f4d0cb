package provider

import (
	"context"
	"fmt"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ resource.Resource                = (*sourceClusterResource)(nil)
	_ resource.ResourceWithConfigure   = (*sourceClusterResource)(nil)
	_ resource.ResourceWithImportState = (*sourceClusterResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*sourceClusterResource)(nil)
)

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func NewSourceClusterResource() resource.Resource { return &sourceClusterResource{} }

type sourceClusterResource struct {
	client *Client
}

type sourceClusterModel struct {
	ID               types.String  `tfsdk:"id"`
	Name             types.String  `tfsdk:"name"`
	BootstrapBrokers []brokerModel `tfsdk:"bootstrap_brokers"`
	Credentials      types.Object  `tfsdk:"credentials"`
}

type brokerModel struct {
	Hostname types.String `tfsdk:"hostname"`
	Port     types.Int64  `tfsdk:"port"`
}

var credentialsAttrTypes = map[string]attr.Type{
	"use_tls":                  types.BoolType,
	"tls_insecure_skip_verify": types.BoolType,
	"sasl_mechanism":           types.StringType,
	"sasl_username_env":        types.StringType,
	"sasl_password_env":        types.StringType,
	"mtls_client_cert_env":     types.StringType,
	"mtls_client_key_env":      types.StringType,
	"mtls_server_ca_cert_env":  types.StringType,
}

func (r *sourceClusterResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_source_cluster"
}

func envAttribute(desc string) schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: desc + " The agents read the variable with a `TABLEFLOW_` prefix: `FOO` means `TABLEFLOW_FOO`.",
		Optional:            true,
		Validators: []validator.String{
			stringvalidator.RegexMatches(envName, "must be an environment variable name (letters, digits and '_', not starting with a digit)"),
		},
	}
}

func (r *sourceClusterResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Kafka-compatible cluster that tables read from: brokers and how to authenticate. Maps onto " +
			"`/v1/source-clusters/{name}` of the control API. Credentials are names of environment variables on the agents, " +
			"never secrets. A cluster that tables still reference cannot be deleted.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Same as `name`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Unique cluster name; the first half of every table name `<cluster>+<topic>`. Changing it replaces the cluster.",
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"bootstrap_brokers": schema.ListNestedAttribute{
				MarkdownDescription: "Brokers to bootstrap from.",
				Required:            true,
				Validators:          []validator.List{listvalidator.SizeAtLeast(1)},
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"hostname": schema.StringAttribute{
							MarkdownDescription: "Host name or IP address, without scheme or port.",
							Required:            true,
							Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
						},
						"port": schema.Int64Attribute{
							MarkdownDescription: "Port (1-65535).",
							Required:            true,
							Validators:          []validator.Int64{int64validator.Between(1, 65535)},
						},
					},
				},
			},
			"credentials": schema.SingleNestedAttribute{
				MarkdownDescription: "How to connect: TLS, SASL and mTLS settings. Omit for a plaintext listener without authentication.",
				Optional:            true,
				Attributes: map[string]schema.Attribute{
					"use_tls": schema.BoolAttribute{
						MarkdownDescription: "Connect with TLS. Defaults to `false`.",
						Optional:            true,
						Computed:            true,
						Default:             booldefault.StaticBool(false),
					},
					"tls_insecure_skip_verify": schema.BoolAttribute{
						MarkdownDescription: "Skip verification of the brokers' certificate chain and host name. Defaults to `false`.",
						Optional:            true,
						Computed:            true,
						Default:             booldefault.StaticBool(false),
					},
					"sasl_mechanism": schema.StringAttribute{
						MarkdownDescription: "`plain` (default), `scram-256` or `scram-512`.",
						Optional:            true,
						Computed:            true,
						Default:             stringdefault.StaticString("plain"),
						Validators:          []validator.String{stringvalidator.OneOf("plain", "scram-256", "scram-512")},
					},
					"sasl_username_env":       envAttribute("Environment variable holding the SASL user name."),
					"sasl_password_env":       envAttribute("Environment variable holding the SASL password."),
					"mtls_client_cert_env":    envAttribute("Environment variable holding the path of the client certificate (PEM) for mTLS."),
					"mtls_client_key_env":     envAttribute("Environment variable holding the path of the client private key (PEM) for mTLS."),
					"mtls_server_ca_cert_env": envAttribute("Environment variable holding the path of the CA certificate (PEM) to verify the brokers with; the host's roots when unset."),
				},
			},
		},
	}
}

func (r *sourceClusterResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	c, problem := clientFrom(req.ProviderData)
	if problem != "" {
		resp.Diagnostics.AddError("Unexpected provider data", problem)
		return
	}
	r.client = c
}

func (r *sourceClusterResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan sourceClusterModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !plan.Name.IsUnknown() {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("id"), plan.Name)...)
	}
	if r.client == nil || (!req.State.Raw.IsNull() && req.State.Raw.Equal(req.Plan.Raw)) {
		return
	}
	sc, known := sourceClusterFromModel(plan)
	if !known {
		return
	}
	op := "update"
	if req.State.Raw.IsNull() || len(resp.RequiresReplace) > 0 {
		op = "create"
	}
	if _, err := r.client.Validate(ctx, ValidateRequest{SourceCluster: &sc, Operation: op}); err != nil {
		addValidationDiagnostics(ctx, err, op, resp, "source cluster")
	}
}

func (r *sourceClusterResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if !requireClient(r.client, &resp.Diagnostics) {
		return
	}
	var plan sourceClusterModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	sc, _ := sourceClusterFromModel(plan)
	created, err := r.client.CreateSourceCluster(ctx, sc)
	if err != nil {
		if IsConflict(err) {
			resp.Diagnostics.AddError("Source cluster already exists",
				fmt.Sprintf("%s\n\nBring it under management with: terraform import <address> %q", err, sc.Name))
			return
		}
		addAPIError(&resp.Diagnostics, "Cannot create source cluster "+sc.Name, err)
		return
	}
	state, d := sourceClusterToModel(created, plan)
	resp.Diagnostics.Append(d...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *sourceClusterResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !requireClient(r.client, &resp.Diagnostics) {
		return
	}
	var prior sourceClusterModel
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := prior.Name.ValueString()
	if name == "" {
		name = prior.ID.ValueString()
	}
	sc, err := r.client.GetSourceCluster(ctx, name)
	if IsNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot read source cluster "+name, err)
		return
	}
	state, d := sourceClusterToModel(sc, prior)
	resp.Diagnostics.Append(d...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *sourceClusterResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !requireClient(r.client, &resp.Diagnostics) {
		return
	}
	var plan sourceClusterModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	sc, _ := sourceClusterFromModel(plan)
	updated, err := r.client.PutSourceCluster(ctx, sc)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot update source cluster "+sc.Name, err)
		return
	}
	state, d := sourceClusterToModel(updated, plan)
	resp.Diagnostics.Append(d...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *sourceClusterResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !requireClient(r.client, &resp.Diagnostics) {
		return
	}
	var state sourceClusterModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.client.DeleteSourceCluster(ctx, state.Name.ValueString())
	switch {
	case err == nil, IsNotFound(err):
	case IsConflict(err):
		resp.Diagnostics.AddError("Source cluster still in use",
			err.Error()+"\n\nRemove (or move) the tables that read from it first; reference the cluster's name from those "+
				"floe_table resources so Terraform orders the deletion for you.")
	default:
		addAPIError(&resp.Diagnostics, "Cannot delete source cluster "+state.Name.ValueString(), err)
	}
}

func (r *sourceClusterResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resource.ImportStatePassthroughID(ctx, path.Root("name"), req, resp)
}

func sourceClusterFromModel(m sourceClusterModel) (SourceCluster, bool) {
	known := !m.Name.IsUnknown() && !m.Credentials.IsUnknown()
	sc := SourceCluster{Name: m.Name.ValueString(), BootstrapBrokers: []Broker{}}
	for _, b := range m.BootstrapBrokers {
		known = known && !b.Hostname.IsUnknown() && !b.Port.IsUnknown()
		sc.BootstrapBrokers = append(sc.BootstrapBrokers, Broker{Hostname: b.Hostname.ValueString(), Port: b.Port.ValueInt64()})
	}
	if !m.Credentials.IsNull() && !m.Credentials.IsUnknown() {
		a := m.Credentials.Attributes()
		str := func(k string) string {
			v, _ := a[k].(types.String)
			known = known && !v.IsUnknown()
			return v.ValueString()
		}
		boolean := func(k string) bool {
			v, _ := a[k].(types.Bool)
			known = known && !v.IsUnknown()
			return v.ValueBool()
		}
		sc.Credentials = &Credentials{
			UseTLS:                boolean("use_tls"),
			TLSInsecureSkipVerify: boolean("tls_insecure_skip_verify"),
			SASLMechanism:         str("sasl_mechanism"),
			SASLUsernameEnv:       str("sasl_username_env"),
			SASLPasswordEnv:       str("sasl_password_env"),
			MTLSClientCertEnv:     str("mtls_client_cert_env"),
			MTLSClientKeyEnv:      str("mtls_client_key_env"),
			MTLSServerCACertEnv:   str("mtls_server_ca_cert_env"),
		}
	}
	return sc, known
}

func sourceClusterToModel(sc *SourceCluster, prior sourceClusterModel) (sourceClusterModel, diag.Diagnostics) {
	var diags diag.Diagnostics
	m := sourceClusterModel{
		ID:               types.StringValue(sc.Name),
		Name:             types.StringValue(sc.Name),
		BootstrapBrokers: make([]brokerModel, 0, len(sc.BootstrapBrokers)),
	}
	for _, b := range sc.BootstrapBrokers {
		m.BootstrapBrokers = append(m.BootstrapBrokers, brokerModel{Hostname: types.StringValue(b.Hostname), Port: types.Int64Value(b.Port)})
	}
	c := sc.Credentials
	// An agent may answer with all-default credentials for a cluster configured without any;
	// that is the same configuration, so it must not show as a diff.
	if c == nil || (prior.Credentials.IsNull() && isDefaultCredentials(*c)) {
		m.Credentials = types.ObjectNull(credentialsAttrTypes)
		return m, diags
	}
	optStr := func(s string) types.String {
		if s == "" {
			return types.StringNull()
		}
		return types.StringValue(s)
	}
	obj, d := types.ObjectValue(credentialsAttrTypes, map[string]attr.Value{
		"use_tls":                  types.BoolValue(c.UseTLS),
		"tls_insecure_skip_verify": types.BoolValue(c.TLSInsecureSkipVerify),
		"sasl_mechanism":           types.StringValue(orDefault(c.SASLMechanism, "plain")),
		"sasl_username_env":        optStr(c.SASLUsernameEnv),
		"sasl_password_env":        optStr(c.SASLPasswordEnv),
		"mtls_client_cert_env":     optStr(c.MTLSClientCertEnv),
		"mtls_client_key_env":      optStr(c.MTLSClientKeyEnv),
		"mtls_server_ca_cert_env":  optStr(c.MTLSServerCACertEnv),
	})
	diags.Append(d...)
	m.Credentials = obj
	return m, diags
}

func isDefaultCredentials(c Credentials) bool {
	return c == Credentials{} || c == Credentials{SASLMechanism: "plain"}
}
