package numbering_test

import (
	"context"
	"sync"
	"testing"

	"github.com/channeldesk/channeldesk/internal/numbering"
	"github.com/channeldesk/channeldesk/internal/pgtest"
)

func TestOrgID(t *testing.T) {
	cases := []struct {
		n    int64
		want string
	}{{0, "100000HQ"}, {1, "100001HQ"}, {899999, "999999HQ"}, {900000, "100000HR"}, {900000 * 675, "100000HP"}}
	for _, c := range cases {
		if got, err := numbering.OrgID(c.n); err != nil || got != c.want {
			t.Errorf("OrgID(%d) = %q, %v; want %q", c.n, got, err, c.want)
		}
	}
	if _, err := numbering.OrgID(900000 * 676); err == nil {
		t.Error("exhausted IDs accepted")
	}
}

func TestConcurrentAllocationNeverCollides(t *testing.T) {
	t.Parallel()
	a := numbering.New(pgtest.Pool(t, 8))
	ctx := context.Background()
	if err := a.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				id, err := a.NextOrgID(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[id] {
					t.Errorf("%s allocated twice", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 800 {
		t.Fatalf("%d IDs", len(seen))
	}
}

func TestDocumentNumbers(t *testing.T) {
	t.Parallel()
	a := numbering.New(pgtest.Pool(t, 4))
	ctx := context.Background()
	if err := a.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := a.Next(ctx, numbering.Order, 3)
	if err != nil || len(got) != 3 || got[0] != "ORD-0000001" || got[2] != "ORD-0000003" {
		t.Fatalf("orders: %v %v", got, err)
	}
	for k, want := range map[numbering.Kind]string{numbering.Contact: "C-000001", numbering.ContractELA: "ELA-000001",
		numbering.ContractEasy: "EASY-000001", numbering.Invoice: "INV-0000001", numbering.License: "LIC-0000001", numbering.Case: "CASE-000001"} {
		got, err := a.Next(ctx, k, 1)
		if err != nil || got[0] != want {
			t.Errorf("%v: %v %v, want %s", k, got, err, want)
		}
	}
	if _, err := a.Next(ctx, numbering.License, 0); err == nil {
		t.Error("zero numbers accepted")
	}
}

// Two instances serving numbers from blocks of one database, each with
// eight concurrent callers, never hand out a number twice; invoice numbers
// are drawn one at a time, so the two instances' invoices interleave in the
// order they were asked for.
func TestBlocksNeverCollideAcrossInstances(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t, 8)
	a := numbering.New(pool)
	ctx := context.Background()
	if err := a.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	instances := []*numbering.Blocks{numbering.NewBlocks(a, 5), numbering.NewBlocks(numbering.New(pool), 5)}
	var mu sync.Mutex
	seen := map[string]bool{}
	asked := 0
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := instances[w%2]
			for i := range 40 {
				var got []string
				var err error
				if i%4 == 3 {
					var id string
					id, err = b.NextOrgID(ctx)
					got = []string{id}
				} else {
					got, err = b.Next(ctx, []numbering.Kind{numbering.Order, numbering.License, numbering.Contact}[i%4], 1+i%3)
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				asked++
				if i%4 != 3 {
					asked += i % 3
				}
				for _, n := range got {
					if seen[n] {
						t.Errorf("%s handed out twice", n)
					}
					seen[n] = true
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != asked {
		t.Fatalf("%d numbers, asked for %d", len(seen), asked)
	}
	for i, want := range []string{"INV-0000001", "INV-0000002", "INV-0000003"} {
		got, err := instances[i%2].Next(ctx, numbering.Invoice, 1)
		if err != nil || len(got) != 1 || got[0] != want {
			t.Fatalf("invoice %d: %v %v, want %s", i, got, err, want)
		}
	}
}
