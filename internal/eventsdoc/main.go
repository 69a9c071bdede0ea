// Command eventsdoc writes docs/events.md, the event catalog for readers:
// one table row per event type and version of domain/catalog with its name,
// schema version, stream category, NATS subject, JSON fields, the commands
// that emit it and its JSON Schema; and docs/schemas, the JSON Schema of
// every event type and version (internal/eventschema). It refuses to
// rewrite a committed schema with a breaking change.
//
// Run it from the repository root, or through go generate:
//
//	go generate ./domain/catalog
//
// A test of this package fails when docs/events.md and the catalog differ;
// one of internal/eventschema when docs/schemas does.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/eventschema"
)

func main() {
	out := flag.String("o", "docs/events.md", "the file to write")
	schemas := flag.String("schemas", "docs/schemas", "the directory of the JSON Schemas to write; empty for none")
	flag.Parse()
	if *schemas != "" {
		if err := eventschema.Write(*schemas, catalog.Entries()); err != nil {
			fmt.Fprintln(os.Stderr, "eventsdoc: not writing the schemas:", err)
			os.Exit(1)
		}
	}
	if err := os.WriteFile(*out, render(catalog.Entries()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "eventsdoc:", err)
		os.Exit(1)
	}
}

// regenerate is the command that rewrites the document, as the document
// and the staleness test tell it.
const regenerate = eventschema.Regenerate

// render writes the document for entries, in their order.
func render(entries []catalog.Entry) []byte {
	top := broker.Default()
	var b bytes.Buffer
	b.WriteString("# Event catalog\n\n")
	b.WriteString("<!-- Generated from domain/catalog by internal/eventsdoc. Do not edit; regenerate with: " + regenerate + " -->\n\n")
	b.WriteString("Every event type channeldesk records, one row per type and schema version, in the order of `catalog.Entries`. ")
	b.WriteString("This file is generated from the code (`" + regenerate + "`); a test fails when the two differ. ")
	b.WriteString("The wire format of each event is frozen by its golden file, `domain/catalog/testdata/<event>.v<version>.json`, ")
	b.WriteString("and published as a JSON Schema in `docs/schemas/<event>.v<version>.json` (linked in each row). ")
	b.WriteString("The same schemas, with the subjects and headers below, make the AsyncAPI 3.0 document served at `GET /asyncapi.json`.\n\n")
	b.WriteString("Fields are the event's JSON members in the order they are written: `name: type`, `name?: type` when the member ")
	b.WriteString("may be absent (omitted when empty). Types: `string`, `integer`, `number`, `boolean`, `date-time` (an RFC 3339 string), ")
	b.WriteString("`base64` (a base64 string), `any` (any JSON value), `[T]` (an array of T), `{string: T}` (an object of T by key), ")
	b.WriteString("`{...}` (an object with these members), `T or null`.\n\n")
	b.WriteString("## Versions\n\n")
	b.WriteString("A published version never changes incompatibly (no member removed or retyped, none newly required; a test compares ")
	b.WriteString("every schema with its committed copy). A change of shape is a new version: commands write the newest, and an upcaster ")
	b.WriteString("(`catalog.Upcasters`) reads every older stored payload as the newest for the domain and the projections. ")
	b.WriteString("The store keeps each event at the version it was written, and NATS consumers receive it so, with the version in a header. ")
	b.WriteString("A row without emitting commands is such an older version.\n\n")
	b.WriteString("## NATS\n\n")
	fmt.Fprintf(&b, "The relay publishes every event to JetStream stream `%s` on subject `%s.<category>.<event>.<stream_id>`, ", top.Stream, top.Prefix)
	b.WriteString("where `<event>` is the type name after its category with dots as underscores (the Subject column); ")
	fmt.Fprintf(&b, "`%s` matches every event, `%s.account.>` those of one category. ", top.AllSubjects(), top.Prefix)
	b.WriteString("The body is the event's envelope as JSON (`id`, `stream_id`, `stream_version`, `position`, `category`, `type`, ")
	b.WriteString("`schema_version`, `data`: the payload as written, `occurred_at`, `recorded_at` and the metadata). Headers:\n\n")
	b.WriteString("| Header | Always | Value |\n|---|---|---|\n")
	for _, h := range eventschema.Headers() {
		desc := h.Description
		if desc == "" {
			desc = h.Schema.Description
		}
		always := "yes"
		if !h.Always {
			always = "no"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", cell(h.Name), always, cell(desc))
	}
	b.WriteString("\n## Events\n\n")
	fmt.Fprintf(&b, "%d event types, %d versions.\n\n", types(entries), len(entries))
	b.WriteString("| Event | Version | Stream category | Subject | Fields | Emitted by | Schema |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
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
		file := eventschema.FileName(e.Type, e.Version)
		fmt.Fprintf(&b, "| `%s` | %d | `%s` | `%s` | %s | %s | [%s](schemas/%s) |\n", cell(e.Type), e.Version, cell(e.Category),
			cell(eventschema.Address(top, e.Category, e.Type)), strings.Join(fields, "<br>"), strings.Join(emitters, ", "),
			cell(file), cell(file))
	}
	return b.Bytes()
}

// types counts the event types of entries.
func types(entries []catalog.Entry) int {
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.Type] = true
	}
	return len(seen)
}

// cell escapes the one character that would end a table cell, even in a
// code span.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
