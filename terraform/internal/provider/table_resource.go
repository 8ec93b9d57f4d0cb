package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Defaults the agent fills in (agent/src/config/model.ts). Declared here too so a plan shows them
// and removing a block from configuration resets it rather than keeping a stale value.
const (
	defaultFlushMaxBytes        = 64 * 1024 * 1024
	defaultFlushMaxRecords      = 1_000_000
	defaultFlushIntervalSeconds = 60
)

var (
	_ resource.Resource                   = (*tableResource)(nil)
	_ resource.ResourceWithConfigure      = (*tableResource)(nil)
	_ resource.ResourceWithImportState    = (*tableResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*tableResource)(nil)
	_ resource.ResourceWithValidateConfig = (*tableResource)(nil)
)

func NewTableResource() resource.Resource { return &tableResource{} }

type tableResource struct {
	client *Client
}

type tableModel struct {
	ID                 types.String `tfsdk:"id"`
	Name               types.String `tfsdk:"name"`
	SourceClusterName  types.String `tfsdk:"source_cluster_name"`
	SourceTopic        types.String `tfsdk:"source_topic"`
	SourceFormat       types.String `tfsdk:"source_format"`
	SchemaMode         types.String `tfsdk:"schema_mode"`
	PartitioningScheme types.String `tfsdk:"partitioning_scheme"`
	Schema             types.Object `tfsdk:"schema"`
	Flush              types.Object `tfsdk:"flush"`
	Delta              types.Object `tfsdk:"delta"`
	DLQ                types.Object `tfsdk:"dlq"`
}

var (
	flushAttrTypes  = map[string]attr.Type{"max_bytes": types.Int64Type, "max_records": types.Int64Type, "interval_seconds": types.Int64Type}
	toggleAttrTypes = map[string]attr.Type{"enabled": types.BoolType}
)

func flushObject(f Flush) types.Object {
	return types.ObjectValueMust(flushAttrTypes, map[string]attr.Value{
		"max_bytes":        types.Int64Value(f.MaxBytes),
		"max_records":      types.Int64Value(f.MaxRecords),
		"interval_seconds": types.Int64Value(f.IntervalSeconds),
	})
}

func toggleObject(enabled bool) types.Object {
	return types.ObjectValueMust(toggleAttrTypes, map[string]attr.Value{"enabled": types.BoolValue(enabled)})
}

func (r *tableResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_table"
}

func (r *tableResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A table: one Kafka topic of a source cluster ingested into an Apache Iceberg table (and its Delta Lake " +
			"projection) named `<source_cluster_name>+<source_topic>`. Maps onto `/v1/tables/{name}` of the control API. " +
			"Schema changes diff field by field in a plan and are checked by the API at plan time. Destroying the resource " +
			"stops ingestion; the table's data stays in the bucket.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Same as `name`.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Table name, `<source_cluster_name>+<source_topic>` (the seed's naming). Use it to import the table.",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"source_cluster_name": schema.StringAttribute{
				MarkdownDescription: "Name of the source cluster the topic lives on; reference a `floe_source_cluster`'s `name` so it is created first. Changing it replaces the table.",
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"source_topic": schema.StringAttribute{
				MarkdownDescription: "Kafka topic to ingest. Changing it replaces the table.",
				Required:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 249)},
			},
			"source_format": schema.StringAttribute{
				MarkdownDescription: "Encoding of the topic's record values: `json` or `avro` (inline mode: the declared schema must match the writer's schema exactly; a Schema Registry magic-byte prefix is skipped).",
				Required:            true,
				Validators:          []validator.String{stringvalidator.OneOf("json", "avro")},
			},
			"schema_mode": schema.StringAttribute{
				MarkdownDescription: "Where the schema comes from. Only `inline` (the default) is supported.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString("inline"),
				Validators:          []validator.String{stringvalidator.OneOf("inline")},
			},
			"partitioning_scheme": schema.StringAttribute{
				MarkdownDescription: "`unpartitioned` (default) or `hour` (by record timestamp). Migrating between schemes is refused by the API.",
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString("unpartitioned"),
				Validators:          []validator.String{stringvalidator.OneOf("unpartitioned", "hour")},
			},
			"schema": schemaAttribute(),
			"flush": schema.SingleNestedAttribute{
				MarkdownDescription: "When buffered records become a Parquet file and a commit; whichever limit is reached first.",
				Optional:            true,
				Computed:            true,
				Default:             objectdefault.StaticValue(flushObject(Flush{defaultFlushMaxBytes, defaultFlushMaxRecords, defaultFlushIntervalSeconds})),
				Attributes: map[string]schema.Attribute{
					"max_bytes": schema.Int64Attribute{
						MarkdownDescription: "Estimated in-memory bytes of buffered rows (1 MiB .. 4 GiB). Defaults to `67108864` (64 MiB).",
						Optional:            true,
						Computed:            true,
						Default:             int64default.StaticInt64(defaultFlushMaxBytes),
						Validators:          []validator.Int64{int64validator.Between(1<<20, 4<<30)},
					},
					"max_records": schema.Int64Attribute{
						MarkdownDescription: "Buffered records (1 .. 100000000). Defaults to `1000000`.",
						Optional:            true,
						Computed:            true,
						Default:             int64default.StaticInt64(defaultFlushMaxRecords),
						Validators:          []validator.Int64{int64validator.Between(1, 100_000_000)},
					},
					"interval_seconds": schema.Int64Attribute{
						MarkdownDescription: "Age of the oldest buffered record, i.e. the table's freshness bound (1 .. 86400). Defaults to `60`.",
						Optional:            true,
						Computed:            true,
						Default:             int64default.StaticInt64(defaultFlushIntervalSeconds),
						Validators:          []validator.Int64{int64validator.Between(1, 86_400)},
					},
				},
			},
			"delta": toggleAttribute("Also publish the table as Delta Lake (a projection of the Iceberg history over the same Parquet files)."),
			"dlq":   toggleAttribute("Send records that cannot be decoded to the dead-letter table `<name>+dlq` instead of stopping ingestion."),
		},
	}
}

func toggleAttribute(what string) schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: what + " Enabled by default.",
		Optional:            true,
		Computed:            true,
		Default:             objectdefault.StaticValue(toggleObject(true)),
		Attributes: map[string]schema.Attribute{
			"enabled": schema.BoolAttribute{
				MarkdownDescription: "Defaults to `true`.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(true),
			},
		},
	}
}

func (r *tableResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	c, problem := clientFrom(req.ProviderData)
	if problem != "" {
		resp.Diagnostics.AddError("Unexpected provider data", problem)
		return
	}
	r.client = c
}

// ValidateConfig checks the schema's structure without the API, so `validate` catches typos offline.
func (r *tableResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var s types.Object
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("schema"), &s)...)
	if resp.Diagnostics.HasError() {
		return
	}
	fields, known, d := fieldsFromSchema(s)
	resp.Diagnostics.Append(d...)
	if !known {
		return
	}
	for _, issue := range CheckSchema(fields) {
		resp.Diagnostics.AddAttributeError(issue.Path, "Invalid table schema", issue.Message)
	}
}

// ModifyPlan fills in the table's name and asks the API to dry-run the change, so that a refused
// migration fails `plan` with the API's own message instead of failing halfway through `apply`.
func (r *tableResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan tableModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !plan.SourceClusterName.IsUnknown() && !plan.SourceTopic.IsUnknown() {
		name := types.StringValue(TableName(plan.SourceClusterName.ValueString(), plan.SourceTopic.ValueString()))
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("name"), name)...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("id"), name)...)
	}
	if r.client == nil {
		return // provider not configured yet (unknown endpoint): apply checks for real
	}
	if !req.State.Raw.IsNull() && req.State.Raw.Equal(req.Plan.Raw) {
		return // no change
	}
	table, known, d := tableFromModel(plan)
	resp.Diagnostics.Append(d...)
	if !known || resp.Diagnostics.HasError() {
		return
	}
	op := "update"
	if req.State.Raw.IsNull() || len(resp.RequiresReplace) > 0 {
		op = "create"
	}
	_, err := r.client.Validate(ctx, ValidateRequest{Table: &table, Operation: op})
	if err == nil {
		return
	}
	addValidationDiagnostics(ctx, err, op, resp, "table")
}

// addValidationDiagnostics turns a refused dry run into diagnostics on the attributes the API
// names. On create, complaints about the source cluster are dropped: the cluster is usually
// created by the same apply, and if it never is, apply reports the API's error.
func addValidationDiagnostics(ctx context.Context, err error, op string, resp *resource.ModifyPlanResponse, what string) {
	var ae *APIError
	if !errors.As(err, &ae) {
		resp.Diagnostics.AddError("Cannot check the "+what+" against the Floe API",
			"The plan-time dry run (POST /v1/validate) failed: "+err.Error())
		return
	}
	switch ae.StatusCode {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
		resp.Diagnostics.AddWarning("Plan-time validation unavailable",
			"The agent does not serve POST /v1/validate ("+ae.Error()+"); the change will be checked at apply time only.")
		return
	case http.StatusUnauthorized, http.StatusForbidden:
		resp.Diagnostics.AddError("Floe API refused the credentials", authHint(ae))
		return
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusConflict:
	default:
		resp.Diagnostics.AddError("Cannot check the "+what+" against the Floe API", ae.Error())
		return
	}
	summary := ae.Problem.Title
	if summary == "" {
		summary = "Refused by the Floe API"
	}
	if len(ae.Problem.Errors) == 0 {
		resp.Diagnostics.AddError(summary, strings.Join(ae.Messages(), "\n"))
		return
	}
	for _, pe := range ae.Problem.Errors {
		p, ok := apiPath(pe.Path)
		if op == "create" && ok && p.Equal(path.Root("source_cluster_name")) {
			continue
		}
		detail := pe.Message
		if !ok {
			if pe.Path != "" && pe.Path != "(root)" {
				detail = pe.Path + ": " + pe.Message
			}
			resp.Diagnostics.AddError(summary, detail)
			continue
		}
		// A path into the old schema (a dropped field) may not exist in the plan; fall back to
		// the nearest attribute that does, keeping the API's path in the text.
		if !pathExists(ctx, resp, p) {
			detail = pe.Path + ": " + pe.Message
			p = nearestExisting(ctx, resp, p)
		}
		resp.Diagnostics.AddAttributeError(p, summary, detail)
	}
}

func pathExists(ctx context.Context, resp *resource.ModifyPlanResponse, p path.Path) bool {
	var v attr.Value
	d := resp.Plan.GetAttribute(ctx, p, &v)
	return !d.HasError() && v != nil && !v.IsNull()
}

func nearestExisting(ctx context.Context, resp *resource.ModifyPlanResponse, p path.Path) path.Path {
	for cur := p.ParentPath(); len(cur.Steps()) > 0; cur = cur.ParentPath() {
		if pathExists(ctx, resp, cur) {
			return cur
		}
	}
	return path.Empty()
}

func authHint(ae *APIError) string {
	return ae.Error() + "\n\nCheck the provider's token (or " + EnvToken + "): it must equal the agents' FLOE_API_TOKEN."
}

func (r *tableResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if !requireClient(r.client, &resp.Diagnostics) {
		return
	}
	var plan tableModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	table, _, d := tableFromModel(plan)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	created, err := r.client.CreateTable(ctx, table)
	if err != nil {
		name := TableName(table.SourceClusterName, table.SourceTopic)
		if IsConflict(err) {
			resp.Diagnostics.AddError("Table already exists",
				fmt.Sprintf("%s\n\nBring it under management with: terraform import <address> %q", err, name))
			return
		}
		addAPIError(&resp.Diagnostics, "Cannot create table "+name, err)
		return
	}
	state, d := tableToModel(created, plan)
	resp.Diagnostics.Append(d...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *tableResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	if !requireClient(r.client, &resp.Diagnostics) {
		return
	}
	var prior tableModel
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := prior.Name.ValueString()
	if name == "" {
		name = prior.ID.ValueString()
	}
	t, err := r.client.GetTable(ctx, name)
	if IsNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot read table "+name, err)
		return
	}
	state, d := tableToModel(t, prior)
	resp.Diagnostics.Append(d...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *tableResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	if !requireClient(r.client, &resp.Diagnostics) {
		return
	}
	var plan tableModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	table, _, d := tableFromModel(plan)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	updated, err := r.client.PutTable(ctx, table)
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot update table "+TableName(table.SourceClusterName, table.SourceTopic), err)
		return
	}
	state, d := tableToModel(updated, plan)
	resp.Diagnostics.Append(d...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *tableResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	if !requireClient(r.client, &resp.Diagnostics) {
		return
	}
	var state tableModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	err := r.client.DeleteTable(ctx, state.Name.ValueString())
	if err != nil && !IsNotFound(err) {
		addAPIError(&resp.Diagnostics, "Cannot delete table "+state.Name.ValueString(), err)
	}
}

// ImportState takes the table's name, `<source_cluster_name>+<source_topic>`.
func (r *tableResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if !strings.Contains(req.ID, "+") {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("expected the table name <source_cluster_name>+<source_topic>, got %q", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resource.ImportStatePassthroughID(ctx, path.Root("name"), req, resp)
}

// addAPIError reports an API failure, attaching each refused path's message to its attribute.
func addAPIError(diags *diag.Diagnostics, summary string, err error) {
	var ae *APIError
	if !errors.As(err, &ae) {
		diags.AddError(summary, err.Error())
		return
	}
	if ae.StatusCode == http.StatusUnauthorized || ae.StatusCode == http.StatusForbidden {
		diags.AddError(summary, authHint(ae))
		return
	}
	if len(ae.Problem.Errors) == 0 {
		diags.AddError(summary, ae.Error())
		return
	}
	for _, pe := range ae.Problem.Errors {
		if p, ok := apiPath(pe.Path); ok {
			diags.AddAttributeError(p, summary, pe.Message)
		} else {
			diags.AddError(summary, strings.TrimPrefix(strings.TrimPrefix(pe.Path, "(root)")+": "+pe.Message, ": "))
		}
	}
}

// tableFromModel builds the API entry from a plan. known is false while any value is unknown.
func tableFromModel(m tableModel) (Table, bool, diag.Diagnostics) {
	var diags diag.Diagnostics
	known := true
	for _, v := range []types.String{m.SourceClusterName, m.SourceTopic, m.SourceFormat, m.SchemaMode, m.PartitioningScheme} {
		known = known && !v.IsUnknown()
	}
	t := Table{
		SourceClusterName:  m.SourceClusterName.ValueString(),
		SourceTopic:        m.SourceTopic.ValueString(),
		SourceFormat:       m.SourceFormat.ValueString(),
		SchemaMode:         m.SchemaMode.ValueString(),
		PartitioningScheme: m.PartitioningScheme.ValueString(),
	}
	fields, k, d := fieldsFromSchema(m.Schema)
	diags.Append(d...)
	known = known && k
	t.Schema = Schema{Fields: fields}
	if t.Schema.Fields == nil {
		t.Schema.Fields = []Field{}
	}

	if !m.Flush.IsNull() {
		if m.Flush.IsUnknown() {
			known = false
		} else {
			a := m.Flush.Attributes()
			f := &Flush{}
			for key, dst := range map[string]*int64{"max_bytes": &f.MaxBytes, "max_records": &f.MaxRecords, "interval_seconds": &f.IntervalSeconds} {
				v, _ := a[key].(types.Int64)
				known = known && !v.IsUnknown()
				*dst = v.ValueInt64()
			}
			t.Flush = f
		}
	}
	for _, pair := range []struct {
		obj types.Object
		dst **Toggle
	}{{m.Delta, &t.Delta}, {m.DLQ, &t.DLQ}} {
		if pair.obj.IsNull() {
			continue
		}
		if pair.obj.IsUnknown() {
			known = false
			continue
		}
		v, _ := pair.obj.Attributes()["enabled"].(types.Bool)
		known = known && !v.IsUnknown()
		*pair.dst = &Toggle{Enabled: v.ValueBool()}
	}
	return t, known, diags
}

// tableToModel is the state for what the API returned. prior (plan or earlier state) only lends
// its spelling of types the API normalized.
func tableToModel(t *Table, prior tableModel) (tableModel, diag.Diagnostics) {
	var diags diag.Diagnostics
	name := t.Name
	if name == "" {
		name = TableName(t.SourceClusterName, t.SourceTopic)
	}
	m := tableModel{
		ID:                 types.StringValue(name),
		Name:               types.StringValue(name),
		SourceClusterName:  types.StringValue(t.SourceClusterName),
		SourceTopic:        types.StringValue(t.SourceTopic),
		SourceFormat:       types.StringValue(t.SourceFormat),
		SchemaMode:         types.StringValue(orDefault(t.SchemaMode, "inline")),
		PartitioningScheme: types.StringValue(orDefault(t.PartitioningScheme, "unpartitioned")),
	}
	priorFields, _, _ := fieldsFromSchema(prior.Schema)
	obj, d := schemaToObject(keepSpelling(priorFields, t.Schema.Fields))
	diags.Append(d...)
	m.Schema = obj

	flush := Flush{defaultFlushMaxBytes, defaultFlushMaxRecords, defaultFlushIntervalSeconds}
	if t.Flush != nil {
		// An agent that leaves a limit out means its default.
		if t.Flush.MaxBytes != 0 {
			flush.MaxBytes = t.Flush.MaxBytes
		}
		if t.Flush.MaxRecords != 0 {
			flush.MaxRecords = t.Flush.MaxRecords
		}
		if t.Flush.IntervalSeconds != 0 {
			flush.IntervalSeconds = t.Flush.IntervalSeconds
		}
	}
	m.Flush = flushObject(flush)
	m.Delta = toggleObject(t.Delta == nil || t.Delta.Enabled)
	m.DLQ = toggleObject(t.DLQ == nil || t.DLQ.Enabled)
	return m, diags
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
