package provider

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
)

// seedEventsSchema is the seed's Avro example (tableflow-setup.txt): structs three levels deep,
// a list and a map.
const seedEventsSchema = `{"fields":[
 {"name":"event_id","id":1,"type":"string"},
 {"name":"user_id","id":2,"type":"long"},
 {"name":"session_id","id":3,"type":"string"},
 {"name":"profile","id":4,"type":"struct","fields":[
   {"name":"country","id":5,"type":"string"},{"name":"language","id":6,"type":"string"}]},
 {"name":"device","id":7,"type":"struct","fields":[
   {"name":"type","id":8,"type":"string"},
   {"name":"os","id":9,"type":"struct","fields":[
     {"name":"name","id":10,"type":"string"},{"name":"version","id":11,"type":"string"},
     {"name":"vendor","id":25,"type":"string","optional":true}]},
   {"name":"browser","id":12,"type":"struct","fields":[
     {"name":"name","id":13,"type":"string"},{"name":"version","id":14,"type":"string"}]},
   {"name":"screen","id":15,"type":"struct","fields":[
     {"name":"width","id":16,"type":"int"},{"name":"height","id":17,"type":"int"},
     {"name":"pixel_ratio","id":18,"type":"double"},
     {"name":"model","id":19,"type":"string","optional":true}]}]},
 {"name":"cookies","id":20,"type":"list","fields":[{"name":"element","id":21,"type":"string"}]},
 {"name":"event_attributes","id":22,"type":"map","fields":[
   {"name":"key","id":23,"type":"string"},{"name":"value","id":24,"type":"string"}]}]}`

func seedFields(t *testing.T) []Field {
	t.Helper()
	var s Schema
	if err := json.Unmarshal([]byte(seedEventsSchema), &s); err != nil {
		t.Fatal(err)
	}
	return s.Fields
}

func TestSchemaRoundTripsThroughNestedAttributes(t *testing.T) {
	fields := seedFields(t)
	obj, diags := schemaToObject(fields)
	if diags.HasError() {
		t.Fatal(diags)
	}
	back, known, diags := fieldsFromSchema(obj)
	if diags.HasError() || !known {
		t.Fatalf("known=%v diags=%v", known, diags)
	}
	if !reflect.DeepEqual(back, fields) {
		a, _ := json.Marshal(back)
		t.Errorf("round trip changed the schema:\n%s", a)
	}
	if CheckSchema(fields) != nil {
		t.Errorf("the seed's schema should be valid: %v", CheckSchema(fields))
	}
}

func TestSchemaNestsToMaxDepth(t *testing.T) {
	leaf := Field{Name: "leaf", ID: 100, Type: "string"}
	deep := []Field{leaf}
	for i := maxFieldDepth - 1; i >= 1; i-- {
		deep = []Field{{Name: "s", ID: int64(i), Type: "struct", Fields: deep}}
	}
	if _, d := schemaToObject(deep); d.HasError() {
		t.Fatalf("%d levels should fit: %v", maxFieldDepth, d)
	}
	tooDeep := []Field{{Name: "top", ID: 99, Type: "struct", Fields: deep}}
	_, d := schemaToObject(tooDeep)
	if !d.HasError() || !strings.Contains(d[0].Detail(), "deeper than the 6 levels") {
		t.Errorf("want a depth error, got %v", d)
	}
}

func TestKeepSpellingOfNormalizedTypes(t *testing.T) {
	prior := []Field{{Name: "amount", ID: 1, Type: "Decimal(10,2)"}, {Name: "s", ID: 2, Type: "struct", Fields: []Field{{Name: "x", ID: 3, Type: "LONG"}}}}
	api := []Field{{Name: "amount", ID: 1, Type: "decimal(10, 2)"}, {Name: "s", ID: 2, Type: "struct", Fields: []Field{{Name: "x", ID: 3, Type: "long"}, {Name: "y", ID: 4, Type: "int", Optional: true}}}}
	got := keepSpelling(prior, api)
	if got[0].Type != "Decimal(10,2)" || got[1].Fields[0].Type != "LONG" || got[1].Fields[1].Type != "int" {
		t.Errorf("got %+v", got)
	}
	// A real change (drift) keeps the API's value.
	api[0].Type = "decimal(12, 2)"
	if got := keepSpelling(prior, api); got[0].Type != "decimal(12, 2)" {
		t.Errorf("drift hidden: %+v", got[0])
	}
}

func TestCheckSchema(t *testing.T) {
	cases := []struct {
		name   string
		fields string
		path   string
		want   string
	}{
		{"duplicate id", `[{"name":"a","id":1,"type":"string"},{"name":"s","id":2,"type":"struct","fields":[{"name":"b","id":1,"type":"int"}]}]`,
			"schema.fields[1].fields[0].id", "duplicate field id 1: used by a and s.b"},
		{"duplicate name", `[{"name":"a","id":1,"type":"string"},{"name":"a","id":2,"type":"string"}]`,
			"schema.fields[1].name", `duplicate field name "a" in the top level`},
		{"unknown type", `[{"name":"a","id":1,"type":"varchar"}]`, "schema.fields[0].type", `a: unknown type "varchar"`},
		{"decimal precision", `[{"name":"a","id":1,"type":"decimal(40, 2)"}]`, "schema.fields[0].type", "decimal precision must be 1..38, got 40"},
		{"struct without fields", `[{"name":"a","id":1,"type":"struct"}]`, "schema.fields[0].fields", "a is a struct and needs its fields"},
		{"list child name", `[{"name":"l","id":1,"type":"list","fields":[{"name":"item","id":2,"type":"int"}]}]`,
			"schema.fields[0].fields", "l is a list and needs exactly one entry in fields, named element (got item)"},
		{"map children", `[{"name":"m","id":1,"type":"map","fields":[{"name":"value","id":2,"type":"int"},{"name":"key","id":3,"type":"string"}]}]`,
			"schema.fields[0].fields", "m is a map and needs exactly two entries in fields, key then value (got value, key)"},
		{"optional map key", `[{"name":"m","id":1,"type":"map","fields":[{"name":"key","id":2,"type":"string","optional":true},{"name":"value","id":3,"type":"int"}]}]`,
			"schema.fields[0].fields[0].optional", "map keys cannot be optional (m.key)"},
		{"primitive with fields", `[{"name":"a","id":1,"type":"string","fields":[{"name":"b","id":2,"type":"int"}]}]`,
			"schema.fields[0].fields", `a has primitive type "string" and cannot have fields`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var fields []Field
			if err := json.Unmarshal([]byte(c.fields), &fields); err != nil {
				t.Fatal(err)
			}
			issues := CheckSchema(fields)
			if len(issues) == 0 {
				t.Fatalf("no issue, want %q", c.want)
			}
			if !strings.Contains(issues[0].Message, c.want) {
				t.Errorf("message = %q, want it to contain %q", issues[0].Message, c.want)
			}
			if issues[0].Path.String() != c.path {
				t.Errorf("path = %s, want %s", issues[0].Path, c.path)
			}
		})
	}
}

func TestCanonicalTypes(t *testing.T) {
	for _, typ := range []string{"boolean", "int", "long", "float", "double", "date", "time", "timestamp", "timestamptz",
		"string", "uuid", "binary", "decimal(10, 2)", "DECIMAL(38,0)", "fixed[16]"} {
		if msg := checkPrimitive(canonicalType(typ)); msg != "" {
			t.Errorf("%s: %s", typ, msg)
		}
	}
}

func TestAPIPathToAttributePath(t *testing.T) {
	cases := map[string]string{
		"schema.fields[1]":                             "schema.fields[1]",
		"schema.fields[4].fields[1].type":              "schema.fields[4].fields[1].type",
		"tables[0].schema.fields[2].id":                "schema.fields[2].id",
		"table.partitioning_scheme":                    "partitioning_scheme",
		"source_cluster_name":                          "source_cluster_name",
		"credentials.sasl_password_env":                "credentials.sasl_password_env",
		"source_clusters[3].bootstrap_brokers[0].port": "bootstrap_brokers[0].port",
	}
	for in, want := range cases {
		p, ok := apiPath(in)
		if !ok || p.String() != want {
			t.Errorf("apiPath(%q) = %s, %v; want %s", in, p, ok, want)
		}
	}
	for _, in := range []string{"", "(root)", "weird path!"} {
		if _, ok := apiPath(in); ok {
			t.Errorf("apiPath(%q) should not map", in)
		}
	}
	if p, _ := apiPath("name"); !p.Equal(path.Root("name")) {
		t.Errorf("name -> %s", p)
	}
}
