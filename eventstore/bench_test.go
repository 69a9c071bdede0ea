package eventstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/channeldesk/channeldesk/eventstore"
)

// The benchmarks report, besides wall time per operation, the CPU this
// process spent per operation (cpu-ns/op): on a shared machine wall time
// mostly measures the neighbours, CPU time measures the client's work.

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// renamePayload is an account.renamed payload of the size production
// writes (about 500 bytes), distinct per n.
func renamePayload(n int) json.RawMessage {
	id := fmt.Sprintf("%06dHQ", n)
	dom := fmt.Sprintf("northwind-logistics-%06dhq.example", n)
	b, err := json.Marshal(map[string]any{
		"account_id": id, "old_name": "Northwind Logistics GmbH", "new_name": "Contoso Software Ltd",
		"evidence": map[string]any{
			"email_confirmation": map[string]string{"from": "legal@" + dom, "reference": fmt.Sprintf("<%s.1@mail.%s>", id, dom)},
			"document": map[string]string{"kind": "press_release", "reference": "https://press." + dom + "/2025/rename-1",
				"old_name": "Northwind Logistics GmbH", "new_name": "Contoso Software Ltd"},
		},
	})
	if err != nil {
		panic(err)
	}
	return b
}

func benchMetadata() eventstore.Metadata {
	cmd := uuid.Must(uuid.NewV7()).String()
	return eventstore.Metadata{Actor: "staff:bench", CorrelationID: uuid.Must(uuid.NewV7()).String(),
		CausationID: cmd, CommandID: cmd, ClientIP: "10.20.30.40"}
}

// BenchmarkAppendOne appends one event with a version check per
// operation, from 8 goroutines, each to its own streams; the raw side is a
// plain INSERT of the same row into a copy of the table, as figure 1 of the
// bench compares.
func BenchmarkAppendOne(b *testing.B) {
	s, pool := newStore(b, 8)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE raw_events (LIKE events INCLUDING ALL);
		CREATE SEQUENCE raw_events_position_seq OWNED BY raw_events.position;
		ALTER TABLE raw_events ALTER COLUMN position SET DEFAULT nextval('raw_events_position_seq')`); err != nil {
		b.Fatal(err)
	}
	payloads := make([]json.RawMessage, 64)
	for i := range payloads {
		payloads[i] = renamePayload(i)
	}
	var worker atomic.Int64
	for _, side := range []string{"Store.Append", "INSERT"} {
		b.Run(side, func(b *testing.B) {
			b.SetParallelism(4) // 8 goroutines on 2 CPUs
			cpu := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				w := worker.Add(1)
				for v := int64(0); pb.Next(); v++ {
					e := eventstore.NewEvent{ID: uuid.Must(uuid.NewV7()), Type: "account.renamed", SchemaVersion: 1,
						Data: payloads[v%int64(len(payloads))], OccurredAt: time.Now()}
					md := benchMetadata()
					stream := fmt.Sprintf("account-%06dHQ", w)
					var err error
					if side == "INSERT" {
						_, err = pool.Exec(ctx, `INSERT INTO raw_events (event_id, stream_id, stream_version, category,
							event_type, schema_version, data, occurred_at, actor, on_behalf_of, correlation_id,
							causation_id, command_id, client_ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
							e.ID, stream, v+1, eventstore.Category(stream), e.Type, e.SchemaVersion, []byte(e.Data), e.OccurredAt,
							md.Actor, md.OnBehalfOf, md.CorrelationID, md.CausationID, md.CommandID, md.ClientIP)
					} else {
						_, err = s.Append(ctx, []eventstore.StreamAppend{{StreamID: stream, ExpectedVersion: v, Events: []eventstore.NewEvent{e}}}, md)
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkReadRange reads 20,000 stored events in batches of 1,000 per
// operation and reports per event.
func BenchmarkReadRange(b *testing.B) {
	const total, batch = 20_000, 1000
	s, _ := newStore(b, 2)
	ctx := context.Background()
	md := benchMetadata()
	for lo := 0; lo < total; lo += batch {
		streams := make([]eventstore.StreamAppend, batch)
		for i := range streams {
			streams[i] = eventstore.StreamAppend{StreamID: fmt.Sprintf("account-%08dHQ", lo+i), Events: []eventstore.NewEvent{{
				ID: uuid.Must(uuid.NewV7()), Type: "account.renamed", SchemaVersion: 1, Data: renamePayload(lo + i), OccurredAt: time.Now()}}}
		}
		if _, err := s.Append(ctx, streams, md); err != nil {
			b.Fatal(err)
		}
	}
	h, err := s.Horizon(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		var after eventstore.Position
		n := 0
		for {
			evs, err := s.ReadRange(ctx, after, h, batch)
			if err != nil {
				b.Fatal(err)
			}
			n += len(evs)
			if len(evs) < batch {
				break
			}
			after = evs[len(evs)-1].Position
		}
		if n != total {
			b.Fatalf("read %d events, want %d", n, total)
		}
	}
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N*total), "cpu-ns/event")
	b.ReportMetric(float64(b.Elapsed())/float64(b.N*total), "ns/event")
}
