package catalog

import (
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Shape describes the JSON value a Go type is written as: what
// encoding/json makes of it, read from the type and its json tags. It
// documents the event contract (docs/events.md); decoding never uses it.
type Shape struct {
	// Kind is one of the Kind constants.
	Kind string
	// Format narrows a string: "date-time" (RFC 3339) or "base64".
	Format string
	// Nullable is true for a pointer, which may be written as null.
	Nullable bool
	// Fields of an object, in the order they are written; nil for an
	// object of a type within itself (any object).
	Fields []Field
	// Elem is the shape of an array's elements or a map's values.
	Elem *Shape
}

// Field is one member of an object.
type Field struct {
	Name string
	// Optional is true for an omitempty or omitzero field, which may be
	// absent.
	Optional bool
	Shape    Shape
}

// The kinds of Shape.
const (
	KindString  = "string"
	KindInteger = "integer"
	KindNumber  = "number"
	KindBoolean = "boolean"
	KindObject  = "object"
	KindArray   = "array"
	// KindMap is an object with arbitrary string keys, all values of
	// shape Elem.
	KindMap = "map"
	// KindAny is any JSON value: an interface, json.RawMessage, or a type
	// with a JSON encoding of its own (it says what it accepts).
	KindAny = "any"
)

var (
	timeType      = reflect.TypeFor[time.Time]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
	textType      = reflect.TypeFor[encoding.TextMarshaler]()
)

// ShapeOf returns the shape of the event e is the zero value of.
func ShapeOf(e Entry) Shape {
	return shapeOf(reflect.TypeOf(e.Zero), map[reflect.Type]bool{})
}

// ShapeOfType returns the shape of any Go type t, as ShapeOf does for an
// event: the published envelope around events is described with it.
func ShapeOfType(t reflect.Type) Shape {
	return shapeOf(t, map[reflect.Type]bool{})
}

// shapeOf follows encoding/json's rules; seen stops a type that contains
// itself.
func shapeOf(t reflect.Type, seen map[reflect.Type]bool) Shape {
	if t.Kind() == reflect.Pointer {
		s := shapeOf(t.Elem(), seen)
		s.Nullable = true
		return s
	}
	switch {
	case t == timeType:
		return Shape{Kind: KindString, Format: "date-time"}
	case t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType):
		return Shape{Kind: KindAny}
	case t.Implements(textType) || reflect.PointerTo(t).Implements(textType):
		// encoding/json writes its text as a string (a UUID, say).
		return Shape{Kind: KindString}
	}
	switch t.Kind() {
	case reflect.String:
		return Shape{Kind: KindString}
	case reflect.Bool:
		return Shape{Kind: KindBoolean}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return Shape{Kind: KindInteger}
	case reflect.Float32, reflect.Float64:
		return Shape{Kind: KindNumber}
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return Shape{Kind: KindString, Format: "base64"}
		}
		elem := shapeOf(t.Elem(), seen)
		return Shape{Kind: KindArray, Elem: &elem}
	case reflect.Map:
		elem := shapeOf(t.Elem(), seen)
		return Shape{Kind: KindMap, Elem: &elem}
	case reflect.Struct:
		if seen[t] {
			return Shape{Kind: KindObject} // no Fields: any object
		}
		seen[t] = true
		defer delete(seen, t)
		fields := fieldsOf(t, 0, seen, nil)
		s := Shape{Kind: KindObject, Fields: []Field{}}
		for _, f := range fields {
			if f.depth == shallowest(fields, f.Name) && !s.has(f.Name) {
				s.Fields = append(s.Fields, f.Field)
			}
		}
		return s
	}
	return Shape{Kind: KindAny}
}

type depthField struct {
	Field
	depth int
}

// fieldsOf lists the JSON members of struct t in the order they are
// written, with the fields of embedded structs without a name of their
// own in the embedding field's place, one level deeper.
func fieldsOf(t reflect.Type, depth int, seen map[reflect.Type]bool, out []depthField) []depthField {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		options := strings.Split(opts, ",")
		if ft := f.Type; f.Anonymous && name == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = fieldsOf(ft, depth+1, seen, out)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		shape := shapeOf(f.Type, seen)
		if slices.Contains(options, "string") && (shape.Kind == KindInteger || shape.Kind == KindNumber || shape.Kind == KindBoolean) {
			shape = Shape{Kind: KindString, Nullable: shape.Nullable}
		}
		optional := slices.Contains(options, "omitempty") || slices.Contains(options, "omitzero")
		out = append(out, depthField{Field: Field{Name: name, Optional: optional, Shape: shape}, depth: depth})
	}
	return out
}

// shallowest is the least depth of the fields named name: encoding/json
// writes a promoted field only where no shallower field has its name.
func shallowest(fields []depthField, name string) int {
	least := -1
	for _, f := range fields {
		if f.Name == name && (least < 0 || f.depth < least) {
			least = f.depth
		}
	}
	return least
}

func (s Shape) has(name string) bool {
	for _, f := range s.Fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// String writes s compactly: string, integer, number, boolean, any,
// date-time (an RFC 3339 string), base64 (a base64 string), [elem],
// {string: elem} for a map, {name: shape, optional?: shape} for an object
// (object for one of a type within itself), and "shape or null" for a
// pointer.
func (s Shape) String() string {
	var b strings.Builder
	s.write(&b)
	return b.String()
}

func (s Shape) write(b *strings.Builder) {
	switch {
	case s.Format != "":
		b.WriteString(s.Format)
	case s.Kind == KindArray:
		b.WriteByte('[')
		s.Elem.write(b)
		b.WriteByte(']')
	case s.Kind == KindMap:
		b.WriteString("{string: ")
		s.Elem.write(b)
		b.WriteByte('}')
	case s.Kind == KindObject && s.Fields == nil:
		b.WriteString("object")
	case s.Kind == KindObject:
		b.WriteByte('{')
		for i, f := range s.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f.String())
		}
		b.WriteByte('}')
	default:
		b.WriteString(s.Kind)
	}
	if s.Nullable {
		b.WriteString(" or null")
	}
}

// String writes f as "name: shape", or "name?: shape" when it is
// optional.
func (f Field) String() string {
	opt := ""
	if f.Optional {
		opt = "?"
	}
	return f.Name + opt + ": " + f.Shape.String()
}
