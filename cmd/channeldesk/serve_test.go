package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeRefusesABadRestrictedPartyList: a list that cannot be used
// stops the start with one clear line naming the file and the line, before
// anything connects (the database URL here leads nowhere).
func TestServeRefusesABadRestrictedPartyList(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "parties.csv")
	if err := os.WriteFile(bad, []byte("# list\nname,kind,source\nGood Name Ltd,organisation,X-1\nBad Name,company,X-2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nowhere := "postgres://postgres@127.0.0.1:1/channeldesk?sslmode=disable&connect_timeout=2"
	for name, args := range map[string][]string{
		"flag": {"serve", "--database-url", nowhere, "--restricted-parties", bad},
		"env":  {"serve", "--database-url", nowhere},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "env" {
				t.Setenv("RESTRICTED_PARTIES", bad)
			}
			var out, errOut strings.Builder
			err := run(args, &out, &errOut)
			if err == nil {
				t.Fatal("serve started with a bad restricted-party list")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") || !strings.Contains(msg, bad+", line 4") || !strings.Contains(msg, `kind "company"`) {
				t.Fatalf("unclear error: %q", msg)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		var out, errOut strings.Builder
		err := run([]string{"serve", "--database-url", nowhere, "--restricted-parties", filepath.Join(dir, "none.csv")}, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "none.csv") || strings.Contains(err.Error(), "PostgreSQL") {
			t.Fatalf("missing list: %v", err)
		}
	})
}
