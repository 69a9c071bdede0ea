package eventschema

import (
	"fmt"
	"slices"
	"sort"
)

// Break is a change of a published schema that a reader of the old version
// would not survive: a member removed, retyped or newly required.
type Break struct {
	// Event and Version name the schema.
	Event   string
	Version int
	// Field is the member's path from the payload: "to.address.country",
	// "lines[].sku", "tags{}" for a map's values; "" for the payload
	// itself.
	Field string
	// Change is "removed", "retyped" or "newly required".
	Change string
	// Detail says what it was and what it is.
	Detail string
}

func (b Break) Error() string {
	field := b.Field
	if field == "" {
		field = "(the payload)"
	}
	return fmt.Sprintf("%s v%d: field %s %s (%s): a published version must stay backward compatible; "+
		"add version %d with an upcaster (domain/catalog.Upcasters) instead",
		b.Event, b.Version, field, b.Change, b.Detail, b.Version+1)
}

// The kinds of Break.
const (
	Removed       = "removed"
	Retyped       = "retyped"
	NewlyRequired = "newly required"
)

// Check compares the schema of event typ at version v as committed (old)
// with the schema generated now (new) and returns every breaking change,
// in path order. A compatible change (a new optional member, a member no
// longer required, a description) is not one; any change of a member's
// type is (a wider type, null allowed say, breaks the consumer that expects
// the old one).
func Check(typ string, v int, old, new *Schema) []Break {
	var out []Break
	add := func(field, change, detail string) {
		out = append(out, Break{Event: typ, Version: v, Field: field, Change: change, Detail: detail})
	}
	var walk func(path string, o, n *Schema)
	walk = func(path string, o, n *Schema) {
		if !n.sameTypes(o) || o.Format != n.Format || o.ContentEncoding != n.ContentEncoding {
			add(path, Retyped, fmt.Sprintf("was %s, is %s", o.typeString(), n.typeString()))
			return
		}
		names := make([]string, 0, len(o.Properties))
		for name := range o.Properties {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			p := join(path, name)
			np, ok := n.Properties[name]
			if !ok {
				add(p, Removed, "was "+o.Properties[name].typeString())
				continue
			}
			walk(p, o.Properties[name], np)
		}
		req := slices.Clone(n.Required)
		sort.Strings(req)
		for _, name := range req {
			if !slices.Contains(o.Required, name) {
				add(join(path, name), NewlyRequired, "was optional or absent")
			}
		}
		if o.Items != nil && n.Items != nil {
			walk(path+"[]", o.Items, n.Items)
		}
		if o.AdditionalProperties != nil && n.AdditionalProperties != nil {
			walk(path+"{}", o.AdditionalProperties, n.AdditionalProperties)
		}
	}
	walk("", old, new)
	return out
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// typeString writes the schema's type for a message: "string",
// "[string null]", "string (date-time)", "any".
func (s *Schema) typeString() string {
	t := s.types()
	var out string
	switch len(t) {
	case 0:
		out = "any"
	case 1:
		out = t[0]
	default:
		out = fmt.Sprint(t)
	}
	if s.Format != "" {
		out += " (" + s.Format + ")"
	}
	if s.ContentEncoding != "" {
		out += " (" + s.ContentEncoding + ")"
	}
	return out
}
