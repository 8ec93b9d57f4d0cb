package provider

// An in-memory stand-in for the control API, for tests that must not need an agent: the routes,
// status codes and problem documents of the contract, defaults filled in like the agent does, and
// just enough migration checking (type changes, dropped fields, new required fields) to exercise
// plan-time validation. The acceptance tests run against a real agent instead.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
)

type fakeAPI struct {
	*httptest.Server
	token string

	mu       sync.Mutex
	clusters []SourceCluster
	tables   []Table
	// validations counts POST /v1/validate calls.
	validations int
}

func newFakeAPI(token string) *fakeAPI {
	f := &fakeAPI{token: token}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	return f
}

func (f *fakeAPI) problem(w http.ResponseWriter, status int, title, detail string, errs ...ProblemError) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(Problem{Type: "urn:floe:problem:test", Title: title, Status: status, Detail: detail, Errors: errs})
}

func (f *fakeAPI) reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func tableJSON(t Table) map[string]any {
	b, _ := json.Marshal(t)
	var m map[string]any
	json.Unmarshal(b, &m)
	m["name"] = TableName(t.SourceClusterName, t.SourceTopic)
	return m
}

func normalizeTable(t *Table) {
	if t.SchemaMode == "" {
		t.SchemaMode = "inline"
	}
	if t.PartitioningScheme == "" {
		t.PartitioningScheme = "unpartitioned"
	}
	if t.Flush == nil {
		t.Flush = &Flush{}
	}
	if t.Flush.MaxBytes == 0 {
		t.Flush.MaxBytes = defaultFlushMaxBytes
	}
	if t.Flush.MaxRecords == 0 {
		t.Flush.MaxRecords = defaultFlushMaxRecords
	}
	if t.Flush.IntervalSeconds == 0 {
		t.Flush.IntervalSeconds = defaultFlushIntervalSeconds
	}
	if t.Delta == nil {
		t.Delta = &Toggle{Enabled: true}
	}
	if t.DLQ == nil {
		t.DLQ = &Toggle{Enabled: true}
	}
	var norm func([]Field)
	norm = func(fs []Field) {
		for i := range fs {
			// The agent canonicalizes decimals as `decimal(P, S)`.
			if m := decimalType.FindStringSubmatch(canonicalType(fs[i].Type)); m != nil {
				fs[i].Type = fmt.Sprintf("decimal(%s, %s)", m[1], m[2])
			}
			norm(fs[i].Fields)
		}
	}
	norm(t.Schema.Fields)
}

func (f *fakeAPI) checkTable(t Table, op string) []ProblemError {
	var errs []ProblemError
	if !f.hasCluster(t.SourceClusterName) {
		errs = append(errs, ProblemError{Path: "source_cluster_name", Message: fmt.Sprintf("no source cluster named %q", t.SourceClusterName)})
	}
	for _, issue := range CheckSchema(t.Schema.Fields) {
		errs = append(errs, ProblemError{Path: issue.Path.String(), Message: issue.Message})
	}
	if op == "update" {
		if old := f.findTable(TableName(t.SourceClusterName, t.SourceTopic)); old != nil {
			errs = append(errs, migrationIssues(old.Schema.Fields, t.Schema.Fields, "schema.fields", "")...)
		}
	}
	return errs
}

func migrationIssues(old, next []Field, at, parent string) []ProblemError {
	var errs []ProblemError
	byID := map[int64]int{}
	for i, f := range next {
		byID[f.ID] = i
	}
	oldIDs := map[int64]bool{}
	for _, o := range old {
		oldIDs[o.ID] = true
		full := strings.TrimPrefix(parent+"."+o.Name, ".")
		i, ok := byID[o.ID]
		if !ok {
			errs = append(errs, ProblemError{Path: at, Message: fmt.Sprintf("%s (id %d): dropping a field is not supported", full, o.ID)})
			continue
		}
		n := next[i]
		p := fmt.Sprintf("%s[%d]", at, i)
		from, to := canonicalType(o.Type), canonicalType(n.Type)
		if from != to && !(from == "int" && to == "long") && !(from == "float" && to == "double") {
			errs = append(errs, ProblemError{Path: p, Message: fmt.Sprintf("%s (id %d): type change %s -> %s is not a widening; allowed: int -> long, float -> double", full, o.ID, from, to)})
		}
		if o.Optional && !n.Optional {
			errs = append(errs, ProblemError{Path: p, Message: fmt.Sprintf("%s (id %d): optional -> required is not allowed", full, o.ID)})
		}
		errs = append(errs, migrationIssues(o.Fields, n.Fields, p+".fields", full)...)
	}
	for i, n := range next {
		if !oldIDs[n.ID] && !n.Optional {
			errs = append(errs, ProblemError{Path: fmt.Sprintf("%s[%d]", at, i), Message: fmt.Sprintf("%s (id %d): a new field must be optional", strings.TrimPrefix(parent+"."+n.Name, "."), n.ID)})
		}
	}
	return errs
}

func (f *fakeAPI) hasCluster(name string) bool {
	for _, c := range f.clusters {
		if c.Name == name {
			return true
		}
	}
	return false
}

func (f *fakeAPI) findTable(name string) *Table {
	for i := range f.tables {
		if TableName(f.tables[i].SourceClusterName, f.tables[i].SourceTopic) == name {
			return &f.tables[i]
		}
	}
	return nil
}

// setTable changes a table behind Terraform's back (drift).
func (f *fakeAPI) setTable(name string, change func(*Table)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f.findTable(name))
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		f.problem(w, 401, "Authentication required", "missing bearer token")
		return
	}
	if auth != "Bearer "+f.token {
		f.problem(w, 403, "Invalid token", "the bearer token is not valid")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()

	parts := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/v1/"), "/")
	for i := range parts {
		parts[i], _ = url.PathUnescape(parts[i])
	}
	switch {
	case parts[0] == "validate" && r.Method == http.MethodPost:
		f.validations++
		var req ValidateRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			f.problem(w, 400, "Malformed request", err.Error())
			return
		}
		var errs []ProblemError
		if req.Table != nil {
			errs = f.checkTable(*req.Table, req.Operation)
		}
		if len(errs) > 0 {
			f.problem(w, 422, "Schema migration refused", "the change is refused", errs...)
			return
		}
		f.reply(w, 200, map[string]any{"valid": true, "version": 1, "changes": []any{}})

	case parts[0] == "source-clusters" && len(parts) == 1 && r.Method == http.MethodPost:
		var c SourceCluster
		json.NewDecoder(r.Body).Decode(&c)
		if f.hasCluster(c.Name) {
			f.problem(w, 409, "Conflict", fmt.Sprintf("source cluster %q already exists", c.Name))
			return
		}
		f.clusters = append(f.clusters, c)
		f.reply(w, 201, c)
	case parts[0] == "source-clusters" && len(parts) == 2:
		idx := -1
		for i, c := range f.clusters {
			if c.Name == parts[1] {
				idx = i
			}
		}
		switch r.Method {
		case http.MethodGet:
			if idx < 0 {
				f.problem(w, 404, "Not found", fmt.Sprintf("no source cluster named %q", parts[1]))
				return
			}
			f.reply(w, 200, f.clusters[idx])
		case http.MethodPut:
			var c SourceCluster
			json.NewDecoder(r.Body).Decode(&c)
			if idx < 0 {
				f.clusters = append(f.clusters, c)
			} else {
				f.clusters[idx] = c
			}
			f.reply(w, 200, c)
		case http.MethodDelete:
			if idx < 0 {
				f.problem(w, 404, "Not found", "no such cluster")
				return
			}
			for _, t := range f.tables {
				if t.SourceClusterName == parts[1] {
					f.problem(w, 409, "Conflict", fmt.Sprintf("source cluster %q is used by a table", parts[1]))
					return
				}
			}
			f.clusters = append(f.clusters[:idx], f.clusters[idx+1:]...)
			f.reply(w, 200, map[string]any{"deleted": true})
		}

	case parts[0] == "tables" && len(parts) == 1 && r.Method == http.MethodPost:
		var t Table
		json.NewDecoder(r.Body).Decode(&t)
		if f.findTable(TableName(t.SourceClusterName, t.SourceTopic)) != nil {
			f.problem(w, 409, "Conflict", "table already exists")
			return
		}
		if errs := f.checkTable(t, "create"); len(errs) > 0 {
			f.problem(w, 422, "Invalid configuration", "the table is invalid", errs...)
			return
		}
		normalizeTable(&t)
		f.tables = append(f.tables, t)
		f.reply(w, 201, tableJSON(t))
	case parts[0] == "tables" && len(parts) == 2:
		old := f.findTable(parts[1])
		switch r.Method {
		case http.MethodGet:
			if old == nil {
				f.problem(w, 404, "Not found", fmt.Sprintf("no table named %q", parts[1]))
				return
			}
			f.reply(w, 200, tableJSON(*old))
		case http.MethodPut:
			var t Table
			json.NewDecoder(r.Body).Decode(&t)
			if errs := f.checkTable(t, "update"); len(errs) > 0 {
				f.problem(w, 422, "Schema migration refused", "the change is refused", errs...)
				return
			}
			normalizeTable(&t)
			if old == nil {
				f.tables = append(f.tables, t)
			} else {
				*old = t
			}
			f.reply(w, 200, tableJSON(t))
		case http.MethodDelete:
			if old == nil {
				f.problem(w, 404, "Not found", "no such table")
				return
			}
			kept := f.tables[:0]
			for _, t := range f.tables {
				if TableName(t.SourceClusterName, t.SourceTopic) != parts[1] {
					kept = append(kept, t)
				}
			}
			f.tables = kept
			f.reply(w, 200, map[string]any{"deleted": true})
		}
	case parts[0] == "tables" && len(parts) == 3 && parts[2] == "status":
		if f.findTable(parts[1]) == nil {
			f.problem(w, 404, "Not found", "no such table")
			return
		}
		f.reply(w, 200, map[string]any{"name": parts[1], "exists": true, "last_snapshot": map[string]any{"id": "123", "time": "2026-01-01T00:00:00Z"},
			"schema_id": 0, "partitions": []any{map[string]any{"partition": 0, "committed_offset": 5, "high_watermark": 7, "offset_lag": 2}},
			"offset_lag": 2, "time_lag_seconds": 3.5, "caught_up": false, "data_files": map[string]any{"count": 1, "total_bytes": 10, "total_records": 5},
			"dlq": map[string]any{"enabled": true, "records": 0}})
	default:
		f.problem(w, 404, "Not found", "no such endpoint: "+r.Method+" "+r.URL.Path)
	}
}
