package provider

// A table's inline schema as Terraform nested attributes, and conversions to and from the API.
//
// Terraform schemas cannot be recursive, so `fields` nests to a fixed depth (maxFieldDepth). Each
// level is a list of objects rather than one JSON string, so a plan shows a schema change field
// by field (`~ type = "int" -> "long"`, `+ { name = "new_col" ... }`). A list, not a set: field
// order is part of an Iceberg schema, and list elements diff in place.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// maxFieldDepth is how deep `fields` nests. The seed's Avro example needs 3 (device.os.name);
// 6 leaves room for e.g. a list of structs holding a map of structs.
const maxFieldDepth = 6

// PrimitiveTypes are the inline schema's primitive type names; decimal(P, S) and fixed[L] are
// parameterized on top of these.
var PrimitiveTypes = []string{
	"boolean", "int", "long", "float", "double", "date", "time", "timestamp", "timestamptz",
	"string", "uuid", "binary",
}

var (
	decimalType = regexp.MustCompile(`^decimal\((\d+),(\d+)\)$`)
	fixedType   = regexp.MustCompile(`^fixed\[(\d+)\]$`)
)

// canonicalType is how the API compares types: case and spacing do not matter
// (`Decimal(10,2)` == `decimal(10, 2)`).
func canonicalType(t string) string {
	return strings.ToLower(strings.Join(strings.Fields(t), ""))
}

// fieldAttrTypes is the object type of one field at a depth (1 = top level).
func fieldAttrTypes(depth int) map[string]attr.Type {
	m := map[string]attr.Type{
		"name":     types.StringType,
		"id":       types.Int64Type,
		"type":     types.StringType,
		"optional": types.BoolType,
		"doc":      types.StringType,
	}
	if depth < maxFieldDepth {
		m["fields"] = types.ListType{ElemType: types.ObjectType{AttrTypes: fieldAttrTypes(depth + 1)}}
	}
	return m
}

func schemaAttrTypes() map[string]attr.Type {
	return map[string]attr.Type{"fields": types.ListType{ElemType: types.ObjectType{AttrTypes: fieldAttrTypes(1)}}}
}

// schemaAttribute is the `schema` attribute of floe_table.
func schemaAttribute() schema.SingleNestedAttribute {
	top := fieldsAttribute(1)
	// Declared optional and required by a validator: generators that fold same-shaped nested
	// objects into one recursive type (cdktf's) then keep `fields` optional at every level.
	top.Validators = append(top.Validators, listvalidator.IsRequired())
	top.MarkdownDescription = "Required. The table's columns, in order. Adding a column appends an entry (new columns must be `optional`, " +
		"as existing rows have no value for them)."
	return schema.SingleNestedAttribute{
		MarkdownDescription: "Inline schema: the Iceberg schema written as nested attributes (the seed's `schema_mode: inline`). " +
			"Changes are checked at plan time by the control API's dry run; allowed migrations are adding an optional column " +
			"(at any level), required -> optional, `int` -> `long`, `float` -> `double` and widening a decimal's precision. " +
			"Anything else (dropping, reordering, renaming, narrowing) fails at plan with the API's message.",
		Required: true,
		Attributes: map[string]schema.Attribute{
			"fields": top,
		},
	}
}

func fieldsAttribute(depth int) schema.ListNestedAttribute {
	attrs := map[string]schema.Attribute{
		"name": schema.StringAttribute{
			MarkdownDescription: "Column name. Inside a `list` the single child is named `element`; inside a `map` the two children are `key` and `value`.",
			Required:            true,
		},
		"id": schema.Int64Attribute{
			MarkdownDescription: "Iceberg field id, unique across the whole schema (nested fields included). Never reuse the id of another field.",
			Required:            true,
			Validators:          []validator.Int64{int64validator.AtLeast(1)},
		},
		"type": schema.StringAttribute{
			MarkdownDescription: "Iceberg type: `boolean`, `int`, `long`, `float`, `double`, `decimal(P, S)`, `date`, `time`, " +
				"`timestamp`, `timestamptz`, `string`, `uuid`, `binary`, `fixed[L]`, or `struct`, `list`, `map` with children in `fields`.",
			Required: true,
		},
		"optional": schema.BoolAttribute{
			MarkdownDescription: "Whether the value may be null. Defaults to `false` (required). Required -> optional is an allowed migration; the reverse is not.",
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(false),
		},
		"doc": schema.StringAttribute{
			MarkdownDescription: "Column documentation (Iceberg field doc).",
			Optional:            true,
		},
	}
	if depth < maxFieldDepth {
		attrs["fields"] = fieldsAttribute(depth + 1)
	}
	desc := fmt.Sprintf("Children of a `struct` (its fields), `list` (one entry named `element`) or `map` (`key`, then `value`); "+
		"omit for primitive types. Nesting level %d of at most %d.", depth, maxFieldDepth)
	return schema.ListNestedAttribute{
		MarkdownDescription: desc,
		Optional:            true,
		Validators:          []validator.List{listvalidator.SizeAtLeast(1)},
		NestedObject:        schema.NestedAttributeObject{Attributes: attrs},
	}
}

// fieldsFromSchema reads the `schema` object. known is false when any part is still unknown
// (a value computed by another resource), in which case the result is incomplete.
func fieldsFromSchema(obj types.Object) (fields []Field, known bool, diags diag.Diagnostics) {
	if obj.IsNull() {
		return nil, true, nil
	}
	if obj.IsUnknown() {
		return nil, false, nil
	}
	l, ok := obj.Attributes()["fields"].(types.List)
	if !ok {
		diags.AddError("Unexpected schema value", "the schema object has no fields list; this is a bug in the provider")
		return nil, true, diags
	}
	return fieldsFromList(l, 1)
}

func fieldsFromList(l types.List, depth int) ([]Field, bool, diag.Diagnostics) {
	var diags diag.Diagnostics
	if l.IsNull() {
		return nil, true, nil
	}
	if l.IsUnknown() {
		return nil, false, nil
	}
	known := true
	out := make([]Field, 0, len(l.Elements()))
	for _, el := range l.Elements() {
		obj, ok := el.(types.Object)
		if !ok || obj.IsNull() {
			continue
		}
		if obj.IsUnknown() {
			known = false
			continue
		}
		a := obj.Attributes()
		var f Field
		if v, ok := a["name"].(types.String); ok {
			known = known && !v.IsUnknown()
			f.Name = v.ValueString()
		}
		if v, ok := a["id"].(types.Int64); ok {
			known = known && !v.IsUnknown()
			f.ID = v.ValueInt64()
		}
		if v, ok := a["type"].(types.String); ok {
			known = known && !v.IsUnknown()
			f.Type = v.ValueString()
		}
		if v, ok := a["optional"].(types.Bool); ok {
			known = known && !v.IsUnknown()
			f.Optional = v.ValueBool()
		}
		if v, ok := a["doc"].(types.String); ok {
			known = known && !v.IsUnknown()
			if !v.IsNull() && !v.IsUnknown() {
				d := v.ValueString()
				f.Doc = &d
			}
		}
		if v, ok := a["fields"].(types.List); ok {
			children, k, d := fieldsFromList(v, depth+1)
			diags.Append(d...)
			known = known && k
			f.Fields = children
		}
		out = append(out, f)
	}
	return out, known, diags
}

// schemaToObject builds the `schema` object from API fields.
func schemaToObject(fields []Field) (types.Object, diag.Diagnostics) {
	var diags diag.Diagnostics
	l, d := fieldsToList(fields, 1, "")
	diags.Append(d...)
	if diags.HasError() {
		return types.ObjectNull(schemaAttrTypes()), diags
	}
	obj, d := types.ObjectValue(schemaAttrTypes(), map[string]attr.Value{"fields": l})
	diags.Append(d...)
	return obj, diags
}

func fieldsToList(fields []Field, depth int, parent string) (types.List, diag.Diagnostics) {
	var diags diag.Diagnostics
	elemType := types.ObjectType{AttrTypes: fieldAttrTypes(depth)}
	if fields == nil {
		return types.ListNull(elemType), nil
	}
	elems := make([]attr.Value, 0, len(fields))
	for _, f := range fields {
		name := f.Name
		if parent != "" {
			name = parent + "." + f.Name
		}
		doc := types.StringNull()
		if f.Doc != nil {
			doc = types.StringValue(*f.Doc)
		}
		vals := map[string]attr.Value{
			"name":     types.StringValue(f.Name),
			"id":       types.Int64Value(f.ID),
			"type":     types.StringValue(f.Type),
			"optional": types.BoolValue(f.Optional),
			"doc":      doc,
		}
		if depth < maxFieldDepth {
			children, d := fieldsToList(f.Fields, depth+1, name)
			diags.Append(d...)
			vals["fields"] = children
		} else if len(f.Fields) > 0 {
			diags.AddError("Schema nested too deeply",
				fmt.Sprintf("field %s (id %d) nests deeper than the %d levels this provider supports", name, f.ID, maxFieldDepth))
			continue
		}
		obj, d := types.ObjectValue(elemType.AttrTypes, vals)
		diags.Append(d...)
		elems = append(elems, obj)
	}
	l, d := types.ListValue(elemType, elems)
	diags.Append(d...)
	return l, diags
}

// keepSpelling returns the API's fields with the configuration's spelling of equal types
// (`decimal(10,2)` stays as written when the API says `decimal(10, 2)`), matching fields by id
// level by level, so normalization alone never shows as a diff.
func keepSpelling(prior, api []Field) []Field {
	if api == nil {
		return nil
	}
	byID := make(map[int64]Field, len(prior))
	for _, f := range prior {
		byID[f.ID] = f
	}
	out := make([]Field, len(api))
	for i, f := range api {
		if p, ok := byID[f.ID]; ok {
			if canonicalType(p.Type) == canonicalType(f.Type) {
				f.Type = p.Type
			}
			if p.Doc == nil && f.Doc != nil && *f.Doc == "" {
				f.Doc = nil
			}
			f.Fields = keepSpelling(p.Fields, f.Fields)
		}
		out[i] = f
	}
	return out
}

// SchemaIssue is a problem found in a schema before asking the API, at a path below `schema`.
type SchemaIssue struct {
	Path    path.Path
	Message string
}

// CheckSchema finds structural mistakes that need no API: unknown types, missing or misnamed
// children of list and map, children on primitives, repeated ids or names. The API checks all
// of this too (and migrations); checking here lets `validate` catch them offline. Unknown
// values (zero in fields) are skipped by callers passing known-only schemas.
func CheckSchema(fields []Field) []SchemaIssue {
	var issues []SchemaIssue
	seen := map[int64]string{}
	checkLevel(fields, path.Root("schema").AtName("fields"), "", seen, &issues)
	return issues
}

func checkLevel(fields []Field, at path.Path, parent string, ids map[int64]string, issues *[]SchemaIssue) {
	add := func(p path.Path, format string, args ...any) {
		*issues = append(*issues, SchemaIssue{Path: p, Message: fmt.Sprintf(format, args...)})
	}
	names := map[string]bool{}
	for i, f := range fields {
		p := at.AtListIndex(i)
		full := f.Name
		if parent != "" {
			full = parent + "." + f.Name
		}
		if strings.TrimSpace(f.Name) == "" {
			add(p.AtName("name"), "field name must not be empty")
		} else if names[f.Name] {
			add(p.AtName("name"), "duplicate field name %q in %s", f.Name, describeParent(parent))
		}
		names[f.Name] = true
		if f.ID < 1 {
			add(p.AtName("id"), "field id must be a positive integer, got %d for %s", f.ID, full)
		} else if other, dup := ids[f.ID]; dup {
			add(p.AtName("id"), "duplicate field id %d: used by %s and %s (ids must be unique across the schema)", f.ID, other, full)
		} else {
			ids[f.ID] = full
		}

		t := canonicalType(f.Type)
		switch t {
		case "struct":
			if len(f.Fields) == 0 {
				add(p.AtName("fields"), "%s is a struct and needs its fields in fields", full)
			}
		case "list":
			if len(f.Fields) != 1 || f.Fields[0].Name != "element" {
				add(p.AtName("fields"), "%s is a list and needs exactly one entry in fields, named element (got %s)", full, childNames(f.Fields))
			}
		case "map":
			if len(f.Fields) != 2 || f.Fields[0].Name != "key" || f.Fields[1].Name != "value" {
				add(p.AtName("fields"), "%s is a map and needs exactly two entries in fields, key then value (got %s)", full, childNames(f.Fields))
			} else if f.Fields[0].Optional {
				add(p.AtName("fields").AtListIndex(0).AtName("optional"), "map keys cannot be optional (%s.key)", full)
			}
		default:
			if msg := checkPrimitive(t); msg != "" {
				add(p.AtName("type"), "%s: %s", full, msg)
			} else if f.Fields != nil {
				add(p.AtName("fields"), "%s has primitive type %q and cannot have fields", full, f.Type)
			}
		}
		if len(f.Fields) > 0 {
			checkLevel(f.Fields, p.AtName("fields"), full, ids, issues)
		}
	}
}

func describeParent(parent string) string {
	if parent == "" {
		return "the top level"
	}
	return parent
}

func childNames(fields []Field) string {
	if len(fields) == 0 {
		return "none"
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// checkPrimitive returns why t (canonical) is not a primitive type, or "".
func checkPrimitive(t string) string {
	for _, p := range PrimitiveTypes {
		if t == p {
			return ""
		}
	}
	if m := decimalType.FindStringSubmatch(t); m != nil {
		prec, _ := strconv.Atoi(m[1])
		scale, _ := strconv.Atoi(m[2])
		if prec < 1 || prec > 38 {
			return fmt.Sprintf("decimal precision must be 1..38, got %d", prec)
		}
		if scale > prec {
			return fmt.Sprintf("decimal scale must not exceed precision, got decimal(%d, %d)", prec, scale)
		}
		return ""
	}
	if m := fixedType.FindStringSubmatch(t); m != nil {
		if n, _ := strconv.Atoi(m[1]); n < 1 {
			return "fixed length must be at least 1, got 0"
		}
		return ""
	}
	return fmt.Sprintf("unknown type %q (expected one of %s, decimal(P, S), fixed[L], struct, list, map)", t, strings.Join(PrimitiveTypes, ", "))
}

var (
	// Prefixes of API paths that name the document rather than the resource.
	pathPrefixes = []*regexp.Regexp{
		regexp.MustCompile(`^(?:tables|source_clusters)\[\d+\]\.?`),
		regexp.MustCompile(`^(?:table|source_cluster)\.`),
		regexp.MustCompile(`^/`),
	}
	pathStep  = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$`)
	pathIndex = regexp.MustCompile(`\[(\d+)\]`)
)

// apiPath maps a path from an API problem (`schema.fields[2].type`, possibly prefixed by
// `table.` or `tables[0].`) onto a Terraform attribute path. ok is false when it cannot.
func apiPath(p string) (path.Path, bool) {
	p = strings.TrimSpace(p)
	for _, prefix := range pathPrefixes {
		p = prefix.ReplaceAllString(p, "")
	}
	if p == "" || p == "(root)" {
		return path.Empty(), false
	}
	p = strings.ReplaceAll(p, "/", ".")
	var out path.Path
	first := true
	for _, part := range strings.Split(p, ".") {
		m := pathStep.FindStringSubmatch(part)
		if m == nil {
			// A bare index (`fields.2`) from JSON-pointer-like paths.
			if n, err := strconv.Atoi(part); err == nil && !first {
				out = out.AtListIndex(n)
				continue
			}
			return path.Empty(), false
		}
		if first {
			out = path.Root(m[1])
			first = false
		} else {
			out = out.AtName(m[1])
		}
		for _, idx := range pathIndex.FindAllStringSubmatch(m[2], -1) {
			n, _ := strconv.Atoi(idx[1])
			out = out.AtListIndex(n)
		}
	}
	return out, true
}
