package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/channeldesk/channeldesk/internal/demo"
	"github.com/channeldesk/channeldesk/internal/pgtest"
)

// TestBillingFigureAtTinySize: figure 8 on the smallest demo load gives
// both rows, each with our figure and the plain consumer's beside it.
func TestBillingFigureAtTinySize(t *testing.T) {
	url := pgtest.URL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var progress strings.Builder
	rows, err := Run(ctx, Config{DatabaseURL: url, Sizes: Sizes{Round: time.Second, Blocks: 1, BillingAccounts: demo.MinAccounts},
		Only: []string{"billing"}, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(progress.String())
	if len(rows) != 2 {
		t.Fatalf("%d rows: %+v\n%s", len(rows), rows, progress.String())
	}
	for i, unit := range []string{"events/s", "ms"} {
		r := rows[i]
		if r.Err != nil || !(r.Ours > 0) || !(r.Raw > 0) || r.Unit != unit || !strings.HasPrefix(r.Figure, "8. billing feed") {
			t.Errorf("row %d: %+v\n%s", i, r, progress.String())
		}
	}
}
