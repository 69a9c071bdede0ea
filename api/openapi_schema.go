package api

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
)

// schemaGen derives JSON Schemas (draft 2020-12, as OpenAPI 3.1 uses them)
// from Go types and their json tags, as encoding/json reads and writes
// them:
//
//   - a field tagged omitempty or omitzero is optional, every other one is
//     required (decodeStrict refuses an empty body on the same rule);
//   - objects refuse properties they do not declare (decoding is strict,
//     and encoding writes nothing else);
//   - a non-omitempty pointer may be null; slices and maps are arrays and
//     objects (a handler that writes null for an empty list fails the
//     OpenAPI test);
//   - time.Time is a date-time string, uuid.UUID a uuid string,
//     json.RawMessage and interfaces any JSON value, []byte base64, named
//     string and number types their underlying type, a TextMarshaler a
//     string;
//   - an exported named struct becomes a component schema named after the
//     type (with its package's name in front when two packages have a type
//     of that name); unexported and generic ones are inlined.
//
// Some types are given clearer names (schemaNames). Field keywords that
// reflection cannot see (a date format, an enum) come
// from fieldExtras, keyed "package.Type.json_name".
type schemaGen struct {
	names      map[reflect.Type]string
	components map[string]any
	extras     map[string]map[string]any
	used       map[string]bool
	problems   []string
}

var (
	typeTime       = reflect.TypeFor[time.Time]()
	typeUUID       = reflect.TypeFor[uuid.UUID]()
	typeRaw        = reflect.TypeFor[json.RawMessage]()
	typeMarshaler  = reflect.TypeFor[json.Marshaler]()
	typeTextMarsh  = reflect.TypeFor[encoding.TextMarshaler]()
	typeEmptyIface = reflect.TypeFor[any]()
)

// newSchemaGen prepares the component names of every named struct type
// reachable from roots; names gives some their own.
func newSchemaGen(names map[reflect.Type]string, extras map[string]map[string]any, roots ...reflect.Type) *schemaGen {
	g := &schemaGen{names: map[reflect.Type]string{}, components: map[string]any{}, extras: extras, used: map[string]bool{}}
	seen := map[reflect.Type]bool{}
	var named []reflect.Type
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		if t == nil || seen[t] {
			return
		}
		seen[t] = true
		if special(t) != nil {
			return
		}
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(t.Elem())
		case reflect.Map:
			walk(t.Elem())
		case reflect.Struct:
			if componentType(t) {
				named = append(named, t)
			}
			for _, f := range jsonFields(t) {
				walk(f.typ)
			}
		}
	}
	for _, r := range roots {
		walk(r)
	}
	name := func(t reflect.Type) string {
		if n, ok := names[t]; ok {
			return n
		}
		return t.Name()
	}
	count := map[string]int{}
	for _, t := range named {
		count[name(t)]++
	}
	for _, t := range named {
		name := name(t)
		if count[name] > 1 {
			pkg := t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:]
			name = string(unicode.ToUpper(rune(pkg[0]))) + pkg[1:] + name
		}
		g.names[t] = name
	}
	return g
}

// componentType reports whether t is given a component schema of its own.
func componentType(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t.Name() != "" && exported(t.Name()) && !strings.Contains(t.Name(), "[")
}

func exported(name string) bool { return name != "" && unicode.IsUpper(rune(name[0])) }

// special is the schema of a type encoding/json treats apart from its kind.
func special(t reflect.Type) map[string]any {
	switch {
	case t == typeTime:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == typeUUID:
		return map[string]any{"type": "string", "format": "uuid"}
	case t == typeRaw, t == typeEmptyIface, t.Kind() == reflect.Interface:
		return map[string]any{}
	case t.Implements(typeMarshaler), reflect.PointerTo(t).Implements(typeMarshaler):
		// Custom JSON: its shape is its own.
		return map[string]any{"description": "any JSON value (" + t.String() + " writes its own)"}
	case t.Implements(typeTextMarsh), reflect.PointerTo(t).Implements(typeTextMarsh):
		return map[string]any{"type": "string"}
	}
	return nil
}

// ref is the schema of t: a $ref for a component type (built on first
// use), the schema itself otherwise.
func (g *schemaGen) ref(t reflect.Type) map[string]any {
	if s := special(t); s != nil {
		return s
	}
	if name, ok := g.names[t]; ok {
		if _, done := g.components[name]; !done {
			g.components[name] = nil // in progress: a recursive type refers to itself
			g.components[name] = g.build(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return g.build(t)
}

func (g *schemaGen) build(t reflect.Type) map[string]any {
	switch t.Kind() {
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Int8, reflect.Int16, reflect.Int32:
		return map[string]any{"type": "integer", "format": "int32"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Pointer:
		return g.ref(t.Elem())
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": "array", "items": g.ref(t.Elem())}
	case reflect.Array:
		return map[string]any{"type": "array", "items": g.ref(t.Elem()), "minItems": t.Len(), "maxItems": t.Len()}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.ref(t.Elem())}
	case reflect.Struct:
		return g.object(t)
	}
	g.problems = append(g.problems, fmt.Sprintf("no JSON schema for the Go type %s", t))
	return map[string]any{}
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for _, f := range jsonFields(t) {
		s := g.ref(f.typ)
		if f.asString {
			s = map[string]any{"type": "string"}
		}
		if f.typ.Kind() == reflect.Pointer && !f.omittable {
			s = map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
		}
		if t.Name() != "" {
			key := pkgName(t) + "." + t.Name() + "." + f.name
			if x, ok := g.extras[key]; ok {
				g.used[key] = true
				s = merge(s, x)
			}
		}
		props[f.name] = s
		if !f.omittable {
			required = append(required, f.name)
		}
	}
	o := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// merge adds keywords to a schema; a $ref keeps its target and gains them
// beside it (allowed in 2020-12).
func merge(s, x map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range s {
		out[k] = v
	}
	for k, v := range x {
		out[k] = v
	}
	return out
}

func pkgName(t reflect.Type) string {
	return t.PkgPath()[strings.LastIndex(t.PkgPath(), "/")+1:]
}

// unusedExtras lists the fieldExtras keys that named no field: a renamed
// field or type the document would otherwise silently stop describing.
func (g *schemaGen) unusedExtras() []string {
	var out []string
	for k := range g.extras {
		if !g.used[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

type jsonField struct {
	name      string
	typ       reflect.Type
	omittable bool // may be left out of the JSON
	asString  bool // ,string
}

// jsonFields lists the fields encoding/json reads and writes for struct
// type t, embedded structs flattened (the shallower field wins, as in
// encoding/json).
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	seen := map[string]bool{}
	var walk func(t reflect.Type, depth int)
	type pending struct {
		t     reflect.Type
		depth int
	}
	var embedded []pending
	walk = func(t reflect.Type, depth int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			options := strings.Split(opts, ",")
			ft := f.Type
			if f.Anonymous && name == "" {
				et := ft
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if et.Kind() == reflect.Struct {
					embedded = append(embedded, pending{et, depth + 1})
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if seen[name] {
				continue
			}
			seen[name] = true
			omitzero := slices.Contains(options, "omitzero")
			omitempty := slices.Contains(options, "omitempty")
			omittable := omitzero
			if omitempty {
				switch ft.Kind() {
				case reflect.Struct:
					// encoding/json never leaves out a struct for omitempty.
				case reflect.Array:
					omittable = ft.Len() == 0
				default:
					omittable = true
				}
			}
			asString := slices.Contains(options, "string")
			switch ft.Kind() {
			case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
				reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64, reflect.String:
			default:
				asString = false
			}
			out = append(out, jsonField{name: name, typ: ft, omittable: omittable, asString: asString})
		}
	}
	walk(t, 0)
	for len(embedded) > 0 {
		e := embedded[0]
		embedded = embedded[1:]
		walk(e.t, e.depth)
	}
	return out
}
