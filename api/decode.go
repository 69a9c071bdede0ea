package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/channeldesk/channeldesk/domain"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 1 << 20

// readBody reads the whole request body, refusing bodies over MaxBodyBytes
// with 413.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, &requestError{status: http.StatusRequestEntityTooLarge, detail: fmt.Sprintf("the request body exceeds %d bytes", MaxBodyBytes)}
	}
	if err != nil {
		return nil, badRequest("the request body could not be read")
	}
	return body, nil
}

// decodeStrict decodes body into v: exactly one JSON object, no unknown
// fields, no trailing data, valid UTF-8; errors name the field. An empty
// body stands for {} where v has no required field (NoBody, or a struct
// whose every field is omitempty, such as FulfilOrder's optional due
// date); elsewhere it is refused, so that a client which forgot the body
// hears so rather than a list of missing fields.
func decodeStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		if allOptional(reflect.TypeOf(v)) {
			return nil
		}
		return badRequest("a JSON object body is required")
	}
	if !utf8.Valid(body) {
		return badRequest("the body is not valid UTF-8")
	}
	// The decoder would take null for "nothing to set" and leave v as it
	// is: only an object is a body.
	if bytes.TrimSpace(body)[0] != '{' {
		return badRequest("the body must be a JSON object")
	}
	if err := checkStructure(body, v, 32); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("the body must hold exactly one JSON object")
	}
	return nil
}

// allOptional reports whether t, a pointer to the struct a body decodes
// into, has no required field: every field the JSON decoder would fill is
// tagged omitempty (or is an embedded struct of such fields).
func allOptional(t reflect.Type) bool {
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return false
	}
	return optionalFields(t.Elem())
}

func optionalFields(t reflect.Type) bool {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		options := strings.Split(opts, ",")
		optional := slices.Contains(options, "omitempty") || slices.Contains(options, "omitzero")
		switch {
		case tag == "-":
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			if !optionalFields(f.Type) {
				return false
			}
		case !f.IsExported():
		case !optional:
			return false
		}
	}
	return true
}

func jsonError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn):
		return badRequest(fmt.Sprintf("malformed JSON at byte %d", syn.Offset))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return badRequest("malformed JSON: the body ends too early")
	case errors.As(err, &typ):
		field := clip(typ.Field)
		if field == "" {
			field = "(body)"
		}
		want := jsonKind(typ.Type.Kind())
		msg := fmt.Sprintf("must be %s, not %s", want, typ.Value)
		// A number where a whole number goes: a fraction, or too large.
		if n, ok := strings.CutPrefix(typ.Value, "number "); ok {
			msg = fmt.Sprintf("must be %s within range, not %s", want, clip(n))
		}
		return badRequest("field "+field+" "+msg, domain.FieldProblem{Field: field, Message: msg})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return unknownField(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), nil)
	}
	return badRequest("malformed JSON: " + err.Error())
}

func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return k.String()
}

// clip shortens what a client sent to quote it in an answer.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// checkStructure walks body's tokens before it is decoded into v, and
// refuses JSON nested deeper than max, an object that names a member
// twice, and a member name that is not exactly one of v's: encoding/json
// would keep the last of two silently, and it matches a struct's names
// without regard to case ("TAG" would set tag, so tag and TAG are the same
// member twice). Syntax errors are reported as the decoder would.
func checkStructure(body []byte, v any, max int) error {
	type level struct {
		object  bool
		wantKey bool                    // in an object, the next token is a name or its end
		names   map[string]bool         // the names seen, case folded in a struct
		members map[string]reflect.Type // of a struct; nil: any name
		next    reflect.Type            // of the coming value; nil: not checked
	}
	var stack []level
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return jsonError(err)
		}
		top := len(stack) - 1
		if name, ok := tok.(string); ok && top >= 0 && stack[top].wantKey {
			l := &stack[top]
			folded := name // a map's keys are names of their own
			if l.members != nil {
				folded = strings.ToLower(strings.ToUpper(name))
			}
			if l.names[folded] {
				return badRequest("field "+clip(name)+" is given more than once", domain.FieldProblem{Field: clip(name), Message: "is given more than once"})
			}
			l.names[folded] = true
			l.wantKey = false
			if l.members != nil {
				t, known := l.members[name]
				if !known {
					return unknownField(name, l.members)
				}
				l.next = decodable(t)
			}
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) == max {
				return badRequest(fmt.Sprintf("JSON nested deeper than %d levels", max))
			}
			t := decodable(reflect.TypeOf(v))
			if top >= 0 {
				t = stack[top].next
			}
			l := level{object: tok == json.Delim('{'), wantKey: tok == json.Delim('{'), names: map[string]bool{}}
			switch {
			case t == nil:
			case l.object && t.Kind() == reflect.Struct:
				l.members = members(t, map[string]reflect.Type{})
			case l.object && t.Kind() == reflect.Map, !l.object && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
				l.next = decodable(t.Elem())
			}
			stack = append(stack, l)
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:top]
			top--
		}
		// A value ended: in an object, a name comes next.
		if top >= 0 && stack[top].object {
			stack[top].wantKey = true
		}
	}
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// decodable is the type the decoder fills for a value of type t, or nil
// where it takes any member names: an interface, or a type that decodes
// itself (json.RawMessage).
func decodable(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(unmarshalerType) {
		return nil
	}
	return t
}

// members adds the JSON member names of struct t to into, with their
// types: its own fields first, then those of embedded structs that no
// shallower field hides.
func members(t reflect.Type, into map[string]reflect.Type) map[string]reflect.Type {
	var embedded []reflect.Type
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case tag == "-":
		case f.Anonymous && name == "" && decodable(f.Type) != nil && decodable(f.Type).Kind() == reflect.Struct:
			embedded = append(embedded, decodable(f.Type))
		case f.IsExported():
			if name == "" {
				name = f.Name
			}
			into[name] = f.Type
		}
	}
	for _, e := range embedded {
		for name, ft := range members(e, map[string]reflect.Type{}) {
			if _, hidden := into[name]; !hidden {
				into[name] = ft
			}
		}
	}
	return into
}

// unknownField refuses a member name that is not one of members, naming
// the one it differs from only in case, if any.
func unknownField(name string, members map[string]reflect.Type) error {
	for m := range members {
		if strings.EqualFold(m, name) {
			msg := "is not a field of this request (names are case-sensitive: " + m + ")"
			return badRequest("unknown field "+clip(name)+" (did you mean "+m+"?)", domain.FieldProblem{Field: clip(name), Message: msg})
		}
	}
	return badRequest("unknown field "+clip(name), domain.FieldProblem{Field: clip(name), Message: "is not a field of this request"})
}
