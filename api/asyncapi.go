package api

import (
	"net/http"
	"sync"

	"github.com/channeldesk/channeldesk/domain/catalog"
	"github.com/channeldesk/channeldesk/internal/broker"
	"github.com/channeldesk/channeldesk/internal/eventschema"
)

// asyncAPIRoutes registers GET /asyncapi.json (API.md, "Operations"): the
// published event contract, the AsyncAPI 3.0 document of what the relay
// publishes on NATS under the server's topology (Config.Topology), served
// without a token like /openapi.json. It is generated from the event
// catalog and the broker's subject and header constants by
// internal/eventschema when the server is built, so it cannot disagree
// with the code; its payload schemas are the committed docs/schemas.
func (s *Server) asyncAPIRoutes(mux *http.ServeMux) {
	top := s.cfg.Topology
	if top == (broker.Topology{}) {
		top = broker.Default()
	}
	doc := asyncAPIDocument(top)
	mux.HandleFunc("GET /asyncapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(doc)
	})
}

// asyncAPIDocs holds the document by topology, built once each: it is some
// 400 kB and a tenth of a second of work, and tests start many servers.
var asyncAPIDocs sync.Map // broker.Topology → func() []byte

func asyncAPIDocument(top broker.Topology) []byte {
	build, _ := asyncAPIDocs.LoadOrStore(top, sync.OnceValue(func() []byte {
		return eventschema.AsyncAPI(top, catalog.Entries())
	}))
	return build.(func() []byte)()
}
