package eventschema

import (
	"reflect"
	"testing"
)

func obj(props map[string]*Schema, required ...string) *Schema {
	return &Schema{Type: "object", Properties: props, Required: required}
}

func str() *Schema { return &Schema{Type: "string"} }

// TestCheck pins what is a break and what is not.
func TestCheck(t *testing.T) {
	base := func() *Schema {
		return obj(map[string]*Schema{
			"id":    str(),
			"note":  str(),
			"lines": {Type: "array", Items: obj(map[string]*Schema{"sku": str(), "qty": {Type: "integer"}}, "sku", "qty")},
			"tags":  {Type: "object", AdditionalProperties: str()},
			"at":    {Type: "string", Format: "date-time"},
		}, "id", "lines")
	}
	cases := []struct {
		name   string
		change func(s *Schema)
		want   []string
	}{
		{"unchanged", func(*Schema) {}, nil},
		{"optional member added", func(s *Schema) { s.Properties["extra"] = str() }, nil},
		{"member no longer required", func(s *Schema) { s.Required = []string{"id"} }, nil},
		{"description", func(s *Schema) { s.Description = "x" }, nil},
		{"member removed", func(s *Schema) { delete(s.Properties, "note") }, []string{"note removed"}},
		{"nested member removed", func(s *Schema) { delete(s.Properties["lines"].Items.Properties, "qty") }, []string{"lines[].qty removed"}},
		{"retyped", func(s *Schema) { s.Properties["id"] = &Schema{Type: "integer"} }, []string{"id retyped"}},
		{"null allowed", func(s *Schema) { s.Properties["id"] = &Schema{Type: []string{"string", "null"}} }, []string{"id retyped"}},
		{"format changed", func(s *Schema) { s.Properties["at"] = str() }, []string{"at retyped"}},
		{"map values retyped", func(s *Schema) { s.Properties["tags"].AdditionalProperties = &Schema{Type: "integer"} }, []string{"tags{} retyped"}},
		{"newly required", func(s *Schema) { s.Required = append(s.Required, "note") }, []string{"note newly required"}},
		{"new required member", func(s *Schema) { s.Properties["x"] = str(); s.Required = append(s.Required, "x") }, []string{"x newly required"}},
		{"payload retyped", func(s *Schema) { s.Type = "array" }, []string{" retyped"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := base()
			tc.change(n)
			var got []string
			for _, b := range Check("x.y", 3, base(), n) {
				if b.Event != "x.y" || b.Version != 3 {
					t.Errorf("break names %s v%d", b.Event, b.Version)
				}
				got = append(got, b.Field+" "+b.Change)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Check = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestParseRoundTrip: a committed schema reads back as what was written,
// nullable types included.
func TestParseRoundTrip(t *testing.T) {
	s := obj(map[string]*Schema{"a": {Type: []string{"object", "null"}, Properties: map[string]*Schema{"b": str()}}}, "a")
	got, err := Parse(Marshal(s))
	if err != nil {
		t.Fatal(err)
	}
	if len(Check("t", 1, s, got)) != 0 || len(Check("t", 1, got, s)) != 0 {
		t.Errorf("round trip changed the schema: %s", Marshal(got))
	}
	if _, err := Parse([]byte(`{"type":"object","unknownKeyword":1}`)); err == nil {
		t.Error("Parse accepted a keyword the generator never writes")
	}
}
