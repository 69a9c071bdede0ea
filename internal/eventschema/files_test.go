package eventschema_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/internal/eventschema"
)

// committed is the directory of the committed schemas.
var committed = filepath.Join("..", "..", "docs", "schemas")

// TestCommittedSchemas is the CI check of the published contract: every
// catalog entry's schema, generated now, is its committed copy in
// docs/schemas; a published version changed incompatibly fails with the
// event, version, field and the way out (a new version with an upcaster),
// anything else out of date with the regenerate command.
func TestCommittedSchemas(t *testing.T) {
	for _, err := range eventschema.Verify(committed, catalog.Entries()) {
		t.Error(err)
	}
}

// copyCommitted copies docs/schemas into a temporary directory, where a
// test may break things.
func copyCommitted(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files, err := os.ReadDir(committed)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(committed, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The event types below stand for a published event after a change of its
// Go struct that kept its name and version: what a careless edit of
// domain/account would produce.

// renamedWithoutEvidence is account.renamed v1 with a member removed.
type renamedWithoutEvidence struct {
	AccountID string `json:"account_id"`
	OldName   string `json:"old_name"`
	NewName   string `json:"new_name"`
}

func (renamedWithoutEvidence) EventType() string  { return "account.renamed" }
func (renamedWithoutEvidence) SchemaVersion() int { return 1 }

// taggedRetyped is account.tagged v1 with its tag a list.
type taggedRetyped struct {
	AccountID string   `json:"account_id"`
	Tag       []string `json:"tag"`
}

func (taggedRetyped) EventType() string  { return "account.tagged" }
func (taggedRetyped) SchemaVersion() int { return 1 }

// vatRequired is account.vat_number_set v1 with vat_number no longer
// omitempty, so required.
type vatRequired struct {
	AccountID    string `json:"account_id"`
	VATNumber    string `json:"vat_number"`
	OldVATNumber string `json:"old_vat_number,omitempty"`
}

func (vatRequired) EventType() string  { return "account.vat_number_set" }
func (vatRequired) SchemaVersion() int { return 1 }

// untaggedExtended is account.untagged v1 with a new optional member: a
// compatible change.
type untaggedExtended struct {
	AccountID string `json:"account_id"`
	Tag       string `json:"tag"`
	Note      string `json:"note,omitempty"`
}

func (untaggedExtended) EventType() string  { return "account.untagged" }
func (untaggedExtended) SchemaVersion() int { return 1 }

// fake is a catalog entry for event type E, as catalog.Entries lists one.
func fake[E interface {
	EventType() string
	SchemaVersion() int
}](category string) catalog.Entry {
	var zero E
	return catalog.Entry{Type: zero.EventType(), Version: zero.SchemaVersion(), Category: category, EmittedBy: []string{"X"}, Zero: zero}
}

// withEntry returns the catalog's entries with e in place of the entry of
// its type and version.
func withEntry(e catalog.Entry) []catalog.Entry {
	entries := catalog.Entries()
	for i, c := range entries {
		if c.Type == e.Type && c.Version == e.Version {
			entries[i] = e
		}
	}
	return entries
}

// TestVerifyFailsOnBreakingChanges runs the check on a copy of the
// committed schemas against deliberately broken event types: each breaking
// change is reported as a Break naming the event, version, field and the
// next version to add, and the generator refuses to write it.
func TestVerifyFailsOnBreakingChanges(t *testing.T) {
	cases := []struct {
		name   string
		entry  catalog.Entry
		field  string
		change string
	}{
		{"removed field", fake[renamedWithoutEvidence]("account"), "evidence", eventschema.Removed},
		{"retyped field", fake[taggedRetyped]("account"), "tag", eventschema.Retyped},
		{"newly required field", fake[vatRequired]("account"), "vat_number", eventschema.NewlyRequired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyCommitted(t)
			entries := withEntry(tc.entry)
			errs := eventschema.Verify(dir, entries)
			if len(errs) != 1 {
				t.Fatalf("Verify = %v, want one break", errs)
			}
			b, ok := errors.AsType[eventschema.Break](errs[0])
			if !ok || b.Event != tc.entry.Type || b.Version != 1 || b.Field != tc.field || b.Change != tc.change {
				t.Fatalf("Verify = %#v, want %s v1 field %s %s", errs[0], tc.entry.Type, tc.field, tc.change)
			}
			msg := errs[0].Error()
			for _, want := range []string{tc.entry.Type + " v1", "field " + tc.field, tc.change, "add version 2 with an upcaster"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not say %q", msg, want)
				}
			}
			file := filepath.Join(dir, eventschema.FileName(tc.entry.Type, 1))
			before, _ := os.ReadFile(file)
			if err := eventschema.Write(dir, entries); err == nil {
				t.Error("Write wrote a breaking change")
			}
			if after, _ := os.ReadFile(file); string(after) != string(before) {
				t.Error("Write changed the committed schema")
			}
		})
	}
}

// TestVerifyStaleAndMissing: a compatible change, a missing schema and a
// schema left for a version no longer in the catalog each fail with what
// to do, and Write brings the directory up to date.
func TestVerifyStaleAndMissing(t *testing.T) {
	dir := copyCommitted(t)
	entries := withEntry(fake[untaggedExtended]("account"))
	if err := os.Remove(filepath.Join(dir, "account.registered.v1.json")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "account.gone.v1.json"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	errs := eventschema.Verify(dir, entries)
	want := []string{
		"account.registered.v1.json: no committed schema for account.registered v1; run " + eventschema.Regenerate,
		"account.untagged.v1.json is stale (the change is compatible); run " + eventschema.Regenerate,
		"account.gone v1 is published but no longer in the catalog",
	}
	if len(errs) != len(want) {
		t.Fatalf("Verify = %v, want %d errors", errs, len(want))
	}
	for _, w := range want {
		found := false
		for _, err := range errs {
			if _, isBreak := errors.AsType[eventschema.Break](err); !isBreak && strings.Contains(err.Error(), w) {
				found = true
			}
		}
		if !found {
			t.Errorf("no error says %q: %v", w, errs)
		}
	}
	if err := eventschema.Write(dir, entries); err != nil {
		t.Fatal(err)
	}
	if errs := eventschema.Verify(dir, entries); len(errs) != 1 || !strings.Contains(errs[0].Error(), "account.gone") {
		t.Errorf("after Write: %v, want only the orphan", errs)
	}
}

// TestVerifyEditedCopy: a committed copy edited by hand (a member added
// that the code does not write, a type changed) reads as the code having
// removed or retyped it.
func TestVerifyEditedCopy(t *testing.T) {
	dir := copyCommitted(t)
	file := filepath.Join(dir, "account.address_changed.v1.json")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), `"old_region": {
      "type": "string"
    }`, `"old_region": {
      "type": "integer"
    },
    "moved_on": {
      "type": "string"
    }`, 1)
	if edited == string(data) {
		t.Fatal("the edit did not apply")
	}
	if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, err := range eventschema.Verify(dir, catalog.Entries()) {
		b, ok := errors.AsType[eventschema.Break](err)
		if !ok {
			t.Errorf("not a break: %v", err)
			continue
		}
		got = append(got, b.Field+" "+b.Change)
	}
	if want := "moved_on removed,old_region retyped"; strings.Join(got, ",") != want {
		t.Errorf("breaks %v, want %s", got, want)
	}
}

// TestUpcastVersionIsNotABreak: v2 of account.address_changed removed and
// moved members of v1, which is allowed because it is a new version: v1's
// committed schema is still what v1's type generates.
func TestUpcastVersionIsNotABreak(t *testing.T) {
	v1 := eventschema.For(fake[account.AddressChangedV1]("account"))
	v2 := eventschema.For(fake[account.AddressChanged]("account"))
	if len(eventschema.Check("account.address_changed", 1, v1, v2)) == 0 {
		t.Error("v1 to v2 in place would not be a break; the version was not needed")
	}
	data, err := os.ReadFile(filepath.Join(committed, "account.address_changed.v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != string(eventschema.Marshal(v1)) {
		t.Error("the committed v1 schema is not v1's")
	}
}
