package eventschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/channeldesk/channeldesk/domain/catalog"
)

// Dialect is the JSON Schema dialect of every generated schema.
const Dialect = "https://json-schema.org/draft/2020-12/schema"

// Schema is the subset of JSON Schema 2020-12 the generator writes. Type is
// a string, or a list of strings for a value that may also be null; a
// schema without Type accepts any JSON value.
type Schema struct {
	Dialect              string             `json:"$schema,omitempty"`
	Ref                  string             `json:"$ref,omitempty"`
	Title                string             `json:"title,omitempty"`
	Description          string             `json:"description,omitempty"`
	Type                 any                `json:"type,omitempty"`
	Const                any                `json:"const,omitempty"`
	Pattern              string             `json:"pattern,omitempty"`
	Format               string             `json:"format,omitempty"`
	ContentEncoding      string             `json:"contentEncoding,omitempty"`
	Properties           map[string]*Schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	Items                *Schema            `json:"items,omitempty"`
	AdditionalProperties *Schema            `json:"additionalProperties,omitempty"`
}

// Name is the name of the schema of type t at version v, and of its file
// in docs/schemas without the .json extension: "account.renamed.v1".
func Name(t string, v int) string { return fmt.Sprintf("%s.v%d", t, v) }

// FileName is the file of the schema of type t at version v in
// docs/schemas.
func FileName(t string, v int) string { return Name(t, v) + ".json" }

// For returns the JSON Schema of entry e's payload: a standalone document
// with $schema and a title naming the event and version. Properties not in
// the schema are allowed (readers ignore members they do not know, so
// adding an optional one is compatible).
func For(e catalog.Entry) *Schema {
	s := FromShape(catalog.ShapeOf(e))
	s.Dialect = Dialect
	s.Title = fmt.Sprintf("%s v%d", e.Type, e.Version)
	s.Description = fmt.Sprintf("Payload (data) of the event %s at schema version %d, stream category %s.", e.Type, e.Version, e.Category)
	return s
}

// FromShape returns the JSON Schema of values of shape sh.
func FromShape(sh catalog.Shape) *Schema {
	s := &Schema{}
	var typ string
	switch sh.Kind {
	case catalog.KindString:
		typ = "string"
		switch sh.Format {
		case "date-time":
			s.Format = "date-time"
		case "base64":
			s.ContentEncoding = "base64"
		}
	case catalog.KindInteger, catalog.KindNumber, catalog.KindBoolean, catalog.KindArray:
		typ = sh.Kind
		if sh.Kind == catalog.KindArray {
			s.Items = FromShape(*sh.Elem)
		}
	case catalog.KindMap:
		typ = "object"
		s.AdditionalProperties = FromShape(*sh.Elem)
	case catalog.KindObject:
		typ = "object"
		if sh.Fields != nil {
			s.Properties = map[string]*Schema{}
			for _, f := range sh.Fields {
				s.Properties[f.Name] = FromShape(f.Shape)
				if !f.Optional {
					s.Required = append(s.Required, f.Name)
				}
			}
		}
	default: // KindAny: any JSON value, null included
		return s
	}
	if sh.Nullable {
		s.Type = []string{typ, "null"}
	} else {
		s.Type = typ
	}
	return s
}

// Marshal is the committed form of a schema: indented by two spaces, one
// trailing newline, members in a fixed order.
func Marshal(s *Schema) []byte {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic(err) // a Schema always marshals
	}
	return append(b, '\n')
}

// Parse reads a schema file.
func Parse(data []byte) (*Schema, error) {
	var s Schema
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(&s); err != nil {
		return nil, err
	}
	return &s, nil
}

// types returns the JSON types s accepts, nil for any.
func (s *Schema) types() []string {
	switch t := s.Type.(type) {
	case nil:
		return nil
	case string:
		return []string{t}
	case []string:
		return t
	case []any:
		out := make([]string, 0, len(t))
		for _, v := range t {
			out = append(out, fmt.Sprint(v))
		}
		return out
	}
	return []string{fmt.Sprint(s.Type)}
}

// sameTypes reports whether s and o accept the same JSON types. Any change
// breaks someone: a narrower type breaks the reader of an old event, a wider
// one (null allowed, say) the consumer that expects the old type.
func (s *Schema) sameTypes(o *Schema) bool {
	a, b := slices.Clone(s.types()), slices.Clone(o.types())
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
