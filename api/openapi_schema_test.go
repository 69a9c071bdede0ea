package api

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
)

type schemaKind string

type SchemaInner struct {
	N int `json:"n"`
}

type schemaBase struct {
	Base   string `json:"base"`
	Shadow string `json:"shadow"`
}

type SchemaSample struct {
	schemaBase
	Shadow   int                        `json:"shadow"`
	Name     string                     `json:"name"`
	Kind     schemaKind                 `json:"kind,omitempty"`
	At       time.Time                  `json:"at"`
	ID       uuid.UUID                  `json:"id"`
	Raw      json.RawMessage            `json:"raw,omitempty"`
	Any      any                        `json:"any"`
	Ptr      *SchemaInner               `json:"ptr"`
	OptPtr   *SchemaInner               `json:"opt_ptr,omitempty"`
	Inner    SchemaInner                `json:"inner,omitempty"`
	Zero     SchemaInner                `json:"zero,omitzero"`
	Count    int64                      `json:"count,string"`
	Bytes    []byte                     `json:"bytes"`
	Tags     []string                   `json:"tags"`
	Map      map[string]json.RawMessage `json:"map"`
	Skipped  string                     `json:"-"`
	internal string
	NoTag    bool
}

// TestSchemaGen: the reflection rules of schemaGen.
func TestSchemaGen(t *testing.T) {
	g := newSchemaGen(nil, map[string]map[string]any{"api.SchemaSample.name": {"format": "email"}}, reflect.TypeFor[SchemaSample]())
	ref := g.ref(reflect.TypeFor[SchemaSample]())
	if ref["$ref"] != "#/components/schemas/SchemaSample" {
		t.Fatalf("ref: %v", ref)
	}
	got, _ := json.Marshal(g.components)
	var comps map[string]map[string]any
	json.Unmarshal(got, &comps)
	s := comps["SchemaSample"]
	want := `{"additionalProperties":false,"properties":{` +
		`"NoTag":{"type":"boolean"},` +
		`"any":{},` +
		`"at":{"format":"date-time","type":"string"},` +
		`"base":{"type":"string"},` +
		`"bytes":{"contentEncoding":"base64","type":"string"},` +
		`"count":{"type":"string"},` +
		`"id":{"format":"uuid","type":"string"},` +
		`"inner":{"$ref":"#/components/schemas/SchemaInner"},` +
		`"kind":{"type":"string"},` +
		`"map":{"additionalProperties":{},"type":"object"},` +
		`"name":{"format":"email","type":"string"},` +
		`"opt_ptr":{"$ref":"#/components/schemas/SchemaInner"},` +
		`"ptr":{"anyOf":[{"$ref":"#/components/schemas/SchemaInner"},{"type":"null"}]},` +
		`"raw":{},` +
		`"shadow":{"format":"int64","type":"integer"},` +
		`"tags":{"items":{"type":"string"},"type":"array"},` +
		`"zero":{"$ref":"#/components/schemas/SchemaInner"}},` +
		`"required":["shadow","name","at","id","any","ptr","inner","count","bytes","tags","map","NoTag","base"],"type":"object"}`
	b, _ := json.Marshal(s)
	if string(b) != want {
		t.Errorf("schema:\n got %s\nwant %s", b, want)
	}
	if u := g.unusedExtras(); len(u) != 0 {
		t.Errorf("unused extras: %v", u)
	}
	if len(g.problems) != 0 {
		t.Errorf("problems: %v", g.problems)
	}
}
