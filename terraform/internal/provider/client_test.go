package provider

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestClientSendsTokenAndEscapesTableNames(t *testing.T) {
	var gotAuth, gotPath, gotRawPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		gotPath, gotRawPath = r.URL.Path, r.URL.RawPath
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"name":"local+events","source_cluster_name":"local","source_topic":"events","source_format":"json",
			"schema_mode":"inline","schema":{"fields":[{"name":"a","id":1,"type":"string","optional":false}]},
			"partitioning_scheme":"hour","flush":{"max_bytes":1048576,"max_records":10,"interval_seconds":5},
			"delta":{"enabled":false},"dlq":{"enabled":true}}`)
	}))
	defer srv.Close()

	c := NewClient(srv.URL, "s3cret", "test")
	tbl, err := c.GetTable(context.Background(), "local+events")
	if err != nil {
		t.Fatal(err)
	}
	if gotAuth != "Bearer s3cret" {
		t.Errorf("Authorization = %q", gotAuth)
	}
	if gotPath != "/v1/tables/local+events" || gotRawPath != "/v1/tables/local%2Bevents" {
		t.Errorf("path = %q (raw %q), want the '+' sent as %%2B", gotPath, gotRawPath)
	}
	if tbl.Name != "local+events" || tbl.PartitioningScheme != "hour" || tbl.Flush.IntervalSeconds != 5 || tbl.Delta.Enabled {
		t.Errorf("decoded %+v", tbl)
	}
	if len(tbl.Schema.Fields) != 1 || tbl.Schema.Fields[0].Type != "string" {
		t.Errorf("fields %+v", tbl.Schema.Fields)
	}
}

func TestClientKeepsBasePathPrefix(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Path
		io.WriteString(w, `{"source_clusters":[{"name":"a","bootstrap_brokers":[{"hostname":"h","port":9092}]}]}`)
	}))
	defer srv.Close()
	list, err := NewClient(srv.URL+"/floe/", "t", "").ListSourceClusters(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != "/floe/v1/source-clusters" {
		t.Errorf("path = %q", got)
	}
	if len(list) != 1 || list[0].BootstrapBrokers[0].Port != 9092 {
		t.Errorf("list = %+v", list)
	}
}

func TestClientDoesNotSendTableName(t *testing.T) {
	var body map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
		}
		json.NewDecoder(r.Body).Decode(&body)
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"name":"c+t","source_cluster_name":"c","source_topic":"t","source_format":"avro","schema":{"fields":[]}}`)
	}))
	defer srv.Close()
	_, err := NewClient(srv.URL, "t", "").CreateTable(context.Background(), Table{Name: "ignored", SourceClusterName: "c", SourceTopic: "t", SourceFormat: "avro"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := body["name"]; ok {
		t.Errorf("the API refuses unknown fields; name was sent: %v", body)
	}
	if body["source_cluster_name"] != "c" {
		t.Errorf("body = %v", body)
	}
}

func TestClientProblemDocuments(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		io.WriteString(w, `{"type":"urn:floe:problem:migration-refused","title":"Schema migration refused","status":422,
			"detail":"the change is refused","errors":[{"path":"schema.fields[1]","message":"user_id (id 2): type change long -> int is not a widening"}]}`)
	}))
	defer srv.Close()
	_, err := NewClient(srv.URL, "t", "").Validate(context.Background(), ValidateRequest{Table: &Table{}, Operation: "update"})
	ae, ok := err.(*APIError)
	if !ok {
		t.Fatalf("err = %T %v", err, err)
	}
	if ae.StatusCode != 422 || ae.Problem.Title != "Schema migration refused" || len(ae.Problem.Errors) != 1 {
		t.Errorf("problem = %+v", ae.Problem)
	}
	if !strings.Contains(ae.Error(), "user_id (id 2): type change long -> int") {
		t.Errorf("Error() = %q", ae.Error())
	}
	if msgs := ae.Messages(); len(msgs) != 1 || !strings.HasPrefix(msgs[0], "user_id (id 2)") {
		t.Errorf("Messages() = %q", msgs)
	}
}

func TestClientNonProblemErrorKeepsText(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream exploded", http.StatusBadGateway)
	}))
	defer srv.Close()
	_, err := NewClient(srv.URL, "t", "").GetSourceCluster(context.Background(), "x")
	if err == nil || !strings.Contains(err.Error(), "upstream exploded") || statusOf(err) != 502 {
		t.Errorf("err = %v", err)
	}
}

func TestClientNotFoundAndConflict(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusConflict)
			io.WriteString(w, `{"title":"Conflict","status":409,"detail":"source cluster \"a\" is used by 1 table(s): a+b"}`)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"title":"Not found","status":404,"detail":"no source cluster named \"a\""}`)
	}))
	defer srv.Close()
	c := NewClient(srv.URL, "t", "")
	if _, err := c.GetSourceCluster(context.Background(), "a"); !IsNotFound(err) {
		t.Errorf("get: %v", err)
	}
	if err := c.DeleteSourceCluster(context.Background(), "a"); !IsConflict(err) || !strings.Contains(err.Error(), "used by 1 table") {
		t.Errorf("delete: %v", err)
	}
}

func TestClientRetriesLostRaces(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusPreconditionFailed)
			io.WriteString(w, `{"title":"Precondition failed","status":412,"detail":"lost a race"}`)
			return
		}
		io.WriteString(w, `{"name":"a","bootstrap_brokers":[{"hostname":"h","port":1}]}`)
	}))
	defer srv.Close()
	c := NewClient(srv.URL, "t", "")
	c.backoff = time.Millisecond
	if _, err := c.PutSourceCluster(context.Background(), SourceCluster{Name: "a"}); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 {
		t.Errorf("calls = %d, want 3", calls.Load())
	}
}

func TestClientDoesNotRetryRefusals(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusUnprocessableEntity)
		io.WriteString(w, `{"title":"Invalid configuration","status":422,"detail":"no"}`)
	}))
	defer srv.Close()
	c := NewClient(srv.URL, "t", "")
	c.backoff = time.Millisecond
	if _, err := c.PutSourceCluster(context.Background(), SourceCluster{Name: "a"}); statusOf(err) != 422 {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Errorf("calls = %d, want 1", calls.Load())
	}
}

func TestTableStatusDecodesNestedAndFlatShapes(t *testing.T) {
	nested := `{"name":"c+t","exists":true,"location":"file:///w/_tableflow/c+t","last_snapshot":{"id":"9007199254740993","timestamp_ms":1700000000000,"time":"2023-11-14T22:13:20.000Z","operation":"append"},
		"schema_id":1,"partitions":[{"partition":0,"committed_offset":10,"high_watermark":12,"offset_lag":2}],"offset_lag":2,
		"time_lag_seconds":1.5,"caught_up":false,"data_files":{"count":3,"total_bytes":4096,"total_records":10},"dlq":{"enabled":true,"records":4}}`
	var s TableStatus
	if err := json.Unmarshal([]byte(nested), &s); err != nil {
		t.Fatal(err)
	}
	if s.SnapshotID == nil || int64(*s.SnapshotID) != 9007199254740993 {
		t.Errorf("snapshot id %v", s.SnapshotID)
	}
	if s.SnapshotTime == nil || *s.SnapshotTime != "2023-11-14T22:13:20.000Z" {
		t.Errorf("snapshot time %v", s.SnapshotTime)
	}
	if *s.DataFiles != 3 || *s.DataBytes != 4096 || *s.DataRecords != 10 || *s.DLQRecords != 4 || !*s.Exists {
		t.Errorf("decoded %+v", s)
	}

	flat := `{"name":"c+t","snapshot_id":7,"snapshot_time":1700000000000,"schema_id":0,"partitions":[{"partition":1,"committed_offset":5,"high_watermark":9}],
		"time_lag_seconds":0,"data_files":2,"data_bytes":100,"dlq_records":0}`
	if err := json.Unmarshal([]byte(flat), &s); err != nil {
		t.Fatal(err)
	}
	if *s.SnapshotID != 7 || *s.SnapshotTime != "2023-11-14T22:13:20Z" || *s.DataFiles != 2 || *s.DataBytes != 100 {
		t.Errorf("decoded %+v", s)
	}
	m := tableStatusToModel("c+t", &s)
	if m.Partitions[0].OffsetLag.ValueInt64() != 4 {
		t.Errorf("offset lag = %v, want 9-5", m.Partitions[0].OffsetLag)
	}

	empty := `{"name":"c+t","exists":false,"last_snapshot":null,"schema_id":null,"partitions":[],"data_files":{"count":0,"total_bytes":0,"total_records":0},"dlq":{"enabled":false,"records":0}}`
	if err := json.Unmarshal([]byte(empty), &s); err != nil {
		t.Fatal(err)
	}
	m = tableStatusToModel("c+t", &s)
	if !m.SnapshotID.IsNull() || !m.SnapshotTime.IsNull() || !m.SchemaID.IsNull() {
		t.Errorf("before the first commit: %+v", m)
	}
}
