package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ datasource.DataSource              = (*tableStatusDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*tableStatusDataSource)(nil)
)

func NewTableStatusDataSource() datasource.DataSource { return &tableStatusDataSource{} }

type tableStatusDataSource struct {
	client *Client
}

type tableStatusModel struct {
	Name           types.String           `tfsdk:"name"`
	Exists         types.Bool             `tfsdk:"exists"`
	Location       types.String           `tfsdk:"location"`
	OffsetLag      types.Int64            `tfsdk:"offset_lag"`
	CaughtUp       types.Bool             `tfsdk:"caught_up"`
	DataRecords    types.Int64            `tfsdk:"data_records"`
	SnapshotID     types.Int64            `tfsdk:"snapshot_id"`
	SnapshotTime   types.String           `tfsdk:"snapshot_time"`
	SchemaID       types.Int64            `tfsdk:"schema_id"`
	Partitions     []partitionStatusModel `tfsdk:"partitions"`
	TimeLagSeconds types.Float64          `tfsdk:"time_lag_seconds"`
	DataFiles      types.Int64            `tfsdk:"data_files"`
	DataBytes      types.Int64            `tfsdk:"data_bytes"`
	DLQRecords     types.Int64            `tfsdk:"dlq_records"`
}

type partitionStatusModel struct {
	Partition       types.Int64 `tfsdk:"partition"`
	CommittedOffset types.Int64 `tfsdk:"committed_offset"`
	HighWatermark   types.Int64 `tfsdk:"high_watermark"`
	OffsetLag       types.Int64 `tfsdk:"offset_lag"`
}

func (d *tableStatusDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_table_status"
}

func (d *tableStatusDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Ingestion status of a table (`GET /v1/tables/{name}/status`): its latest Iceberg snapshot, " +
			"committed offsets against the topic's high watermarks, time lag, data size and dead-letter count. " +
			"Values are read at plan time; attributes are null before the table's first commit.",
		Attributes: map[string]schema.Attribute{
			"name": schema.StringAttribute{
				MarkdownDescription: "Table name, `<source_cluster_name>+<source_topic>` (a `floe_table`'s `name`).",
				Required:            true,
			},
			"exists": schema.BoolAttribute{
				MarkdownDescription: "Whether the agents have created the table in the bucket yet.",
				Computed:            true,
			},
			"location": schema.StringAttribute{
				MarkdownDescription: "Where the table lives in the bucket (its Iceberg table location).",
				Computed:            true,
			},
			"offset_lag": schema.Int64Attribute{
				MarkdownDescription: "Records produced to the topic but not yet in the table, summed over partitions.",
				Computed:            true,
			},
			"caught_up": schema.BoolAttribute{
				MarkdownDescription: "Whether the table holds everything the topic holds.",
				Computed:            true,
			},
			"data_records": schema.Int64Attribute{
				MarkdownDescription: "Records in the live data files.",
				Computed:            true,
			},
			"snapshot_id": schema.Int64Attribute{
				MarkdownDescription: "Id of the current Iceberg snapshot.",
				Computed:            true,
			},
			"snapshot_time": schema.StringAttribute{
				MarkdownDescription: "When the current snapshot was committed (RFC 3339).",
				Computed:            true,
			},
			"schema_id": schema.Int64Attribute{
				MarkdownDescription: "Id of the table's current Iceberg schema; each schema migration adds one.",
				Computed:            true,
			},
			"partitions": schema.ListNestedAttribute{
				MarkdownDescription: "One entry per Kafka partition of the topic.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"partition": schema.Int64Attribute{
							MarkdownDescription: "Kafka partition number.",
							Computed:            true,
						},
						"committed_offset": schema.Int64Attribute{
							MarkdownDescription: "Next offset to ingest, as recorded in the table (everything before it is in the table exactly once).",
							Computed:            true,
						},
						"high_watermark": schema.Int64Attribute{
							MarkdownDescription: "The partition's high watermark (offset of the next record to be produced).",
							Computed:            true,
						},
						"offset_lag": schema.Int64Attribute{
							MarkdownDescription: "`high_watermark - committed_offset`: records produced but not yet in the table.",
							Computed:            true,
						},
					},
				},
			},
			"time_lag_seconds": schema.Float64Attribute{
				MarkdownDescription: "Age of the oldest record not yet committed to the table (0 when caught up).",
				Computed:            true,
			},
			"data_files": schema.Int64Attribute{
				MarkdownDescription: "Live data files in the current snapshot.",
				Computed:            true,
			},
			"data_bytes": schema.Int64Attribute{
				MarkdownDescription: "Total size of the live data files, in bytes.",
				Computed:            true,
			},
			"dlq_records": schema.Int64Attribute{
				MarkdownDescription: "Records sent to the dead-letter table so far.",
				Computed:            true,
			},
		},
	}
}

func (d *tableStatusDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	c, problem := clientFrom(req.ProviderData)
	if problem != "" {
		resp.Diagnostics.AddError("Unexpected provider data", problem)
		return
	}
	d.client = c
}

func (d *tableStatusDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var cfg tableStatusModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !requireClient(d.client, &resp.Diagnostics) {
		return
	}
	st, err := d.client.GetTableStatus(ctx, cfg.Name.ValueString())
	if err != nil {
		addAPIError(&resp.Diagnostics, "Cannot read the status of table "+cfg.Name.ValueString(), err)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, tableStatusToModel(cfg.Name.ValueString(), st))...)
}

func tableStatusToModel(name string, st *TableStatus) *tableStatusModel {
	m := &tableStatusModel{
		Name:           types.StringValue(name),
		Exists:         types.BoolPointerValue(st.Exists),
		Location:       types.StringNull(),
		OffsetLag:      optInt(st.OffsetLag),
		CaughtUp:       types.BoolPointerValue(st.CaughtUp),
		DataRecords:    optInt(st.DataRecords),
		SnapshotID:     optInt(st.SnapshotID),
		SchemaID:       optInt(st.SchemaID),
		SnapshotTime:   types.StringNull(),
		TimeLagSeconds: types.Float64PointerValue(st.TimeLagSeconds),
		DataFiles:      optInt(st.DataFiles),
		DataBytes:      optInt(st.DataBytes),
		DLQRecords:     optInt(st.DLQRecords),
		Partitions:     []partitionStatusModel{},
	}
	if st.Location != "" {
		m.Location = types.StringValue(st.Location)
	}
	if st.SnapshotTime != nil {
		m.SnapshotTime = types.StringValue(string(*st.SnapshotTime))
	}
	for _, p := range st.Partitions {
		pm := partitionStatusModel{
			Partition:       types.Int64Value(int64(p.Partition)),
			CommittedOffset: optInt(p.CommittedOffset),
			HighWatermark:   optInt(p.HighWatermark),
			OffsetLag:       optInt(p.OffsetLag),
		}
		if p.OffsetLag == nil && p.HighWatermark != nil {
			committed := int64(0)
			if p.CommittedOffset != nil {
				committed = int64(*p.CommittedOffset)
			}
			pm.OffsetLag = types.Int64Value(max(0, int64(*p.HighWatermark)-committed))
		}
		m.Partitions = append(m.Partitions, pm)
	}
	return m
}

func optInt(v *flexInt) types.Int64 {
	if v == nil {
		return types.Int64Null()
	}
	return types.Int64Value(int64(*v))
}
