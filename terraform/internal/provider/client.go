package provider

// The control API client: JSON over HTTP with a bearer token, errors as RFC 9457 problem
// documents. Types mirror the agent's configuration model (the seed's YAML, snake_case).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SourceCluster is an entry of the configuration's source_clusters.
type SourceCluster struct {
	Name             string       `json:"name"`
	BootstrapBrokers []Broker     `json:"bootstrap_brokers"`
	Credentials      *Credentials `json:"credentials,omitempty"`
}

type Broker struct {
	Hostname string `json:"hostname"`
	Port     int64  `json:"port"`
}

// Credentials name environment variables (read by the agents with a TABLEFLOW_ prefix), never secrets.
type Credentials struct {
	UseTLS                bool   `json:"use_tls"`
	TLSInsecureSkipVerify bool   `json:"tls_insecure_skip_verify"`
	SASLMechanism         string `json:"sasl_mechanism,omitempty"`
	SASLUsernameEnv       string `json:"sasl_username_env,omitempty"`
	SASLPasswordEnv       string `json:"sasl_password_env,omitempty"`
	MTLSClientCertEnv     string `json:"mtls_client_cert_env,omitempty"`
	MTLSClientKeyEnv      string `json:"mtls_client_key_env,omitempty"`
	MTLSServerCACertEnv   string `json:"mtls_server_ca_cert_env,omitempty"`
}

// Table is an entry of the configuration's tables. Name is only read (the API derives it as
// `<source_cluster_name>+<source_topic>` and refuses unknown fields, so it is never sent).
type Table struct {
	Name               string  `json:"-"`
	SourceClusterName  string  `json:"source_cluster_name"`
	SourceTopic        string  `json:"source_topic"`
	SourceFormat       string  `json:"source_format"`
	SchemaMode         string  `json:"schema_mode,omitempty"`
	Schema             Schema  `json:"schema"`
	PartitioningScheme string  `json:"partitioning_scheme,omitempty"`
	Flush              *Flush  `json:"flush,omitempty"`
	Delta              *Toggle `json:"delta,omitempty"`
	DLQ                *Toggle `json:"dlq,omitempty"`
}

// tableResponse is a Table as the API returns it: the entry plus its name.
type tableResponse struct {
	Table
	Name string `json:"name"`
}

type Schema struct {
	Fields []Field `json:"fields"`
}

// Field is one inline-schema field: an Iceberg field id, a type (primitive, or struct / list / map
// with children in Fields), and whether it may be null.
type Field struct {
	Name     string  `json:"name"`
	ID       int64   `json:"id"`
	Type     string  `json:"type"`
	Optional bool    `json:"optional"`
	Doc      *string `json:"doc,omitempty"`
	Fields   []Field `json:"fields,omitempty"`
}

type Flush struct {
	MaxBytes        int64 `json:"max_bytes"`
	MaxRecords      int64 `json:"max_records"`
	IntervalSeconds int64 `json:"interval_seconds"`
}

type Toggle struct {
	Enabled bool `json:"enabled"`
}

// TableStatus is GET /v1/tables/{name}/status, flattened. The agent nests some values
// (`last_snapshot: {id, time}`, `data_files: {count, total_bytes, total_records}`, `dlq: {records}`);
// flat spellings (`snapshot_id`, `data_bytes`, `dlq_records`) are accepted too. Numbers are decoded
// leniently (numbers or numeric strings: snapshot ids exceed 2^53) and are nil when unknown, e.g.
// before the first commit.
type TableStatus struct {
	Name           string
	Exists         *bool
	Location       string
	SnapshotID     *flexInt
	SnapshotTime   *flexTime
	SchemaID       *flexInt
	Partitions     []PartitionStatus
	OffsetLag      *flexInt
	TimeLagSeconds *float64
	CaughtUp       *bool
	DataFiles      *flexInt
	DataBytes      *flexInt
	DataRecords    *flexInt
	DLQRecords     *flexInt
}

type PartitionStatus struct {
	Partition       flexInt  `json:"partition"`
	CommittedOffset *flexInt `json:"committed_offset"`
	HighWatermark   *flexInt `json:"high_watermark"`
	OffsetLag       *flexInt `json:"offset_lag"`
}

func (s *TableStatus) UnmarshalJSON(b []byte) error {
	var raw struct {
		Name         string    `json:"name"`
		Exists       *bool     `json:"exists"`
		Location     string    `json:"location"`
		SnapshotID   *flexInt  `json:"snapshot_id"`
		SnapshotTime *flexTime `json:"snapshot_time"`
		LastSnapshot *struct {
			ID          *flexInt  `json:"id"`
			Time        *flexTime `json:"time"`
			TimestampMs *flexTime `json:"timestamp_ms"`
		} `json:"last_snapshot"`
		SchemaID       *flexInt          `json:"schema_id"`
		Partitions     []PartitionStatus `json:"partitions"`
		OffsetLag      *flexInt          `json:"offset_lag"`
		TimeLagSeconds *float64          `json:"time_lag_seconds"`
		CaughtUp       *bool             `json:"caught_up"`
		DataFiles      json.RawMessage   `json:"data_files"`
		DataBytes      *flexInt          `json:"data_bytes"`
		DLQRecords     *flexInt          `json:"dlq_records"`
		DLQ            *struct {
			Records *flexInt `json:"records"`
		} `json:"dlq"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*s = TableStatus{
		Name: raw.Name, Exists: raw.Exists, Location: raw.Location, SnapshotID: raw.SnapshotID,
		SnapshotTime: raw.SnapshotTime, SchemaID: raw.SchemaID, Partitions: raw.Partitions,
		OffsetLag: raw.OffsetLag, TimeLagSeconds: raw.TimeLagSeconds, CaughtUp: raw.CaughtUp,
		DataBytes: raw.DataBytes, DLQRecords: raw.DLQRecords,
	}
	if ls := raw.LastSnapshot; ls != nil {
		if s.SnapshotID == nil {
			s.SnapshotID = ls.ID
		}
		if s.SnapshotTime == nil {
			s.SnapshotTime = ls.Time
		}
		if s.SnapshotTime == nil {
			s.SnapshotTime = ls.TimestampMs
		}
	}
	if raw.DLQ != nil && s.DLQRecords == nil {
		s.DLQRecords = raw.DLQ.Records
	}
	if d := bytes.TrimSpace(raw.DataFiles); len(d) > 0 && !bytes.Equal(d, []byte("null")) {
		if d[0] == '{' {
			var files struct {
				Count        *flexInt `json:"count"`
				TotalBytes   *flexInt `json:"total_bytes"`
				TotalRecords *flexInt `json:"total_records"`
			}
			if err := json.Unmarshal(d, &files); err != nil {
				return fmt.Errorf("data_files: %w", err)
			}
			s.DataFiles, s.DataRecords = files.Count, files.TotalRecords
			if s.DataBytes == nil {
				s.DataBytes = files.TotalBytes
			}
		} else {
			var n flexInt
			if err := json.Unmarshal(d, &n); err != nil {
				return fmt.Errorf("data_files: %w", err)
			}
			s.DataFiles = &n
		}
	}
	return nil
}

// ValidateRequest is the body of POST /v1/validate: exactly one of Table and SourceCluster.
type ValidateRequest struct {
	Table         *Table         `json:"table,omitempty"`
	SourceCluster *SourceCluster `json:"source_cluster,omitempty"`
	// Operation is "create" or "update".
	Operation string `json:"operation"`
	// Name of the resource an update targets; derived from the entry when empty.
	Name string `json:"name,omitempty"`
}

type ValidateResult struct {
	Valid   bool              `json:"valid"`
	Version int64             `json:"version"`
	Changes []json.RawMessage `json:"changes"`
}

// Problem is an RFC 9457 problem document; Errors carries one entry per refused path.
type Problem struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Detail string         `json:"detail"`
	Errors []ProblemError `json:"errors"`
}

type ProblemError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// APIError is a non-2xx answer from the control API.
type APIError struct {
	Method     string
	URL        string
	StatusCode int
	Problem    Problem
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d", e.Method, e.URL, e.StatusCode)
	if e.Problem.Title != "" {
		b.WriteString(" " + e.Problem.Title)
	}
	if e.Problem.Detail != "" {
		b.WriteString(": " + e.Problem.Detail)
	}
	for _, pe := range e.Problem.Errors {
		if pe.Path != "" {
			fmt.Fprintf(&b, "\n  %s: %s", pe.Path, pe.Message)
		} else {
			fmt.Fprintf(&b, "\n  %s", pe.Message)
		}
	}
	return b.String()
}

// Messages lists what the API said, one line per refused path, for diagnostics.
func (e *APIError) Messages() []string {
	var out []string
	for _, pe := range e.Problem.Errors {
		out = append(out, pe.Message)
	}
	if len(out) == 0 {
		switch {
		case e.Problem.Detail != "":
			out = append(out, e.Problem.Detail)
		case e.Problem.Title != "":
			out = append(out, e.Problem.Title)
		default:
			out = append(out, http.StatusText(e.StatusCode))
		}
	}
	return out
}

// IsNotFound reports a 404 from the API.
func IsNotFound(err error) bool { return statusOf(err) == http.StatusNotFound }

// IsConflict reports a 409 from the API (exists already, or still referenced).
func IsConflict(err error) bool { return statusOf(err) == http.StatusConflict }

func statusOf(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}

// Client talks to one agent's control API.
type Client struct {
	base      *url.URL
	token     string
	userAgent string
	http      *http.Client
	// Attempts bounds tries of a request the server refused without applying it (412, 429, 503):
	// racing configuration writes lose with 412 and succeed when re-sent.
	attempts int
	backoff  time.Duration
}

// NewClient returns a client for the API at endpoint (scheme and host, optionally a path prefix).
func NewClient(endpoint, token, userAgent string) *Client {
	u, err := url.Parse(strings.TrimRight(endpoint, "/"))
	if err != nil {
		u = &url.URL{Scheme: "http", Host: endpoint}
	}
	return &Client{
		base:      u,
		token:     token,
		userAgent: userAgent,
		http:      &http.Client{Timeout: 60 * time.Second},
		attempts:  6,
		backoff:   150 * time.Millisecond,
	}
}

// segment escapes one path segment. url.PathEscape leaves '+' alone (legal in a path), but a '+'
// may be read as a space by servers that decode paths like queries, so table names
// (`<cluster>+<topic>`) are sent with %2B.
func segment(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), "+", "%2B")
}

func (c *Client) ListSourceClusters(ctx context.Context) ([]SourceCluster, error) {
	var out struct {
		SourceClusters []SourceCluster `json:"source_clusters"`
	}
	err := c.do(ctx, http.MethodGet, "/v1/source-clusters", nil, &out)
	return out.SourceClusters, err
}

func (c *Client) GetSourceCluster(ctx context.Context, name string) (*SourceCluster, error) {
	var out SourceCluster
	if err := c.do(ctx, http.MethodGet, "/v1/source-clusters/"+segment(name), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (c *Client) CreateSourceCluster(ctx context.Context, sc SourceCluster) (*SourceCluster, error) {
	var out SourceCluster
	if err := c.do(ctx, http.MethodPost, "/v1/source-clusters", sc, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (c *Client) PutSourceCluster(ctx context.Context, sc SourceCluster) (*SourceCluster, error) {
	var out SourceCluster
	if err := c.do(ctx, http.MethodPut, "/v1/source-clusters/"+segment(sc.Name), sc, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (c *Client) DeleteSourceCluster(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/v1/source-clusters/"+segment(name), nil, nil)
}

func (c *Client) ListTables(ctx context.Context) ([]Table, error) {
	var raw struct {
		Tables []tableResponse `json:"tables"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/tables", nil, &raw); err != nil {
		return nil, err
	}
	out := make([]Table, len(raw.Tables))
	for i, r := range raw.Tables {
		out[i] = r.table()
	}
	return out, nil
}

func (c *Client) GetTable(ctx context.Context, name string) (*Table, error) {
	var out tableResponse
	if err := c.do(ctx, http.MethodGet, "/v1/tables/"+segment(name), nil, &out); err != nil {
		return nil, err
	}
	t := out.table()
	return &t, nil
}

func (c *Client) CreateTable(ctx context.Context, t Table) (*Table, error) {
	var out tableResponse
	if err := c.do(ctx, http.MethodPost, "/v1/tables", t, &out); err != nil {
		return nil, err
	}
	r := out.table()
	return &r, nil
}

func (c *Client) PutTable(ctx context.Context, t Table) (*Table, error) {
	var out tableResponse
	if err := c.do(ctx, http.MethodPut, "/v1/tables/"+segment(TableName(t.SourceClusterName, t.SourceTopic)), t, &out); err != nil {
		return nil, err
	}
	r := out.table()
	return &r, nil
}

func (c *Client) DeleteTable(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/v1/tables/"+segment(name), nil, nil)
}

func (c *Client) GetTableStatus(ctx context.Context, name string) (*TableStatus, error) {
	var out TableStatus
	if err := c.do(ctx, http.MethodGet, "/v1/tables/"+segment(name)+"/status", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Validate dry-runs a write. A refused change comes back as an *APIError (422) whose problem
// carries the same messages the real write would give.
func (c *Client) Validate(ctx context.Context, req ValidateRequest) (*ValidateResult, error) {
	var out ValidateResult
	if err := c.do(ctx, http.MethodPost, "/v1/validate", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// TableName is the seed's table name: `<cluster-name>+<topic-name>`.
func TableName(cluster, topic string) string { return cluster + "+" + topic }

func (r tableResponse) table() Table {
	t := r.Table
	t.Name = r.Name
	if t.Name == "" {
		t.Name = TableName(t.SourceClusterName, t.SourceTopic)
	}
	return t
}

func retryable(status int) bool {
	return status == http.StatusPreconditionFailed || status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
}

func (c *Client) do(ctx context.Context, method, p string, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("encoding request for %s %s: %w", method, p, err)
		}
	}
	u := *c.base
	u.RawPath = c.base.EscapedPath() + p
	u.Path, _ = url.PathUnescape(u.RawPath)

	for attempt := 1; ; attempt++ {
		status, err := c.once(ctx, method, &u, payload, out)
		if err == nil || !retryable(status) || attempt >= c.attempts {
			return err
		}
		// Full jitter: two agents (or two resources of one apply) that lost the same race should
		// not retry in lockstep.
		wait := time.Duration(rand.Int64N(int64(c.backoff) << min(attempt, 5)))
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
	}
}

func (c *Client) once(ctx context.Context, method string, u *url.URL, payload []byte, out any) (int, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json, application/problem+json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, u.String(), err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 32<<20))
	if err != nil {
		return res.StatusCode, fmt.Errorf("%s %s: reading response: %w", method, u.String(), err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, newAPIError(method, u.String(), res.StatusCode, data)
	}
	if out == nil || len(bytes.TrimSpace(data)) == 0 {
		return res.StatusCode, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return res.StatusCode, fmt.Errorf("%s %s: decoding response: %w (body: %s)", method, u.String(), err, clip(data))
	}
	return res.StatusCode, nil
}

func newAPIError(method, u string, status int, body []byte) *APIError {
	e := &APIError{Method: method, URL: u, StatusCode: status}
	if err := json.Unmarshal(body, &e.Problem); err != nil || (e.Problem.Title == "" && e.Problem.Detail == "" && len(e.Problem.Errors) == 0) {
		// Not a problem document (a proxy's HTML page, plain text): keep the text as the detail.
		e.Problem = Problem{Status: status, Title: http.StatusText(status), Detail: clip(body)}
	}
	return e
}

func clip(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 500 {
		s = s[:500] + "..."
	}
	return s
}

func quote(s string) string { return strconv.Quote(s) }

// flexInt decodes a JSON number or a numeric string (large ids are sometimes sent as strings).
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	if s == "" || s == "null" {
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = flexInt(n)
		return nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("expected an integer, got %s", string(b))
	}
	*f = flexInt(int64(x))
	return nil
}

// flexTime decodes an RFC 3339 string or epoch milliseconds into RFC 3339 text.
type flexTime string

func (f *flexTime) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*f = flexTime(str)
		return nil
	}
	ms, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("expected a timestamp, got %s", s)
	}
	*f = flexTime(time.UnixMilli(int64(ms)).UTC().Format(time.RFC3339Nano))
	return nil
}
