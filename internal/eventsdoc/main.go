// Command eventsdoc writes docs/events.md, the event catalog for readers:
// one table row per event type of domain/catalog with its name, schema
// version, stream category, JSON fields and the commands that emit it.
//
// Run it from the repository root, or through go generate:
//
//	go generate ./domain/catalog
//
// A test of this package fails when docs/events.md and the catalog differ.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/channeldesk/channeldesk/domain/catalog"
)

func main() {
	out := flag.String("o", "docs/events.md", "the file to write")
	flag.Parse()
	if err := os.WriteFile(*out, render(catalog.Entries()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "eventsdoc:", err)
		os.Exit(1)
	}
}

// regenerate is the command that rewrites the document, as the document
// and the staleness test tell it.
const regenerate = "go generate ./domain/catalog"

// render writes the document for entries, in their order.
func render(entries []catalog.Entry) []byte {
	var b bytes.Buffer
	b.WriteString("# Event catalog\n\n")
	b.WriteString("<!-- Generated from domain/catalog by internal/eventsdoc. Do not edit; regenerate with: " + regenerate + " -->\n\n")
	b.WriteString("Every event type channeldesk records, one row each, in the order of `catalog.Entries`. ")
	b.WriteString("This file is generated from the code (`" + regenerate + "`); a test fails when the two differ. ")
	b.WriteString("The wire format of each event is frozen by its golden file, `domain/catalog/testdata/<event>.v<version>.json`.\n\n")
	b.WriteString("Fields are the event's JSON members in the order they are written: `name: type`, `name?: type` when the member ")
	b.WriteString("may be absent (omitted when empty). Types: `string`, `integer`, `number`, `boolean`, `date-time` (an RFC 3339 string), ")
	b.WriteString("`base64` (a base64 string), `any` (any JSON value), `[T]` (an array of T), `{string: T}` (an object of T by key), ")
	b.WriteString("`{...}` (an object with these members), `T or null`.\n\n")
	fmt.Fprintf(&b, "%d event types.\n\n", len(entries))
	b.WriteString("| Event | Version | Stream category | Fields | Emitted by |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, e := range entries {
		s := catalog.ShapeOf(e)
		fields := make([]string, len(s.Fields))
		for i, f := range s.Fields {
			fields[i] = "`" + cell(f.String()) + "`"
		}
		emitters := make([]string, len(e.EmittedBy))
		for i, c := range e.EmittedBy {
			emitters[i] = cell(c)
		}
		fmt.Fprintf(&b, "| `%s` | %d | `%s` | %s | %s |\n", cell(e.Type), e.Version, cell(e.Category),
			strings.Join(fields, "<br>"), strings.Join(emitters, ", "))
	}
	return b.Bytes()
}

// cell escapes the one character that would end a table cell, even in a
// code span.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
