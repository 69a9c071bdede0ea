package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/channeldesk/channeldesk/projections"
)

// metrics are the server's Prometheus metrics, served at GET /metrics
// (API.md, operations). Each Server has its own registry, so that several
// servers in one process (tests, the bench) do not share counters.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reads ReadModels) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "channeldesk_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "channeldesk_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method and route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route"}),
	}
	m.registry.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if reads != nil {
		m.registry.MustRegister(projectionCollector{reads: reads})
	}
	return m
}

// observe records one answered request. route is the pattern that matched
// (e.g. "POST /v1/accounts/{id}/rename"), so that paths with IDs do not
// make a series each; a request no route matched counts as "unmatched".
func (m *metrics) observe(r *http.Request, status int, took time.Duration) {
	route := r.Pattern
	if route == "" || route == "/" {
		route = "unmatched"
	}
	if status == 0 {
		status = http.StatusOK
	}
	m.requests.WithLabelValues(r.Method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(r.Method, route).Observe(took.Seconds())
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// projectionCollector reports each read model's position and lag as
// GET /v1/projections does, read at scrape time.
type projectionCollector struct {
	reads ReadModels
}

var (
	projectionPositionDesc = prometheus.NewDesc("channeldesk_projection_position",
		"Global position up to which the read model has applied every event.", []string{"projection"}, nil)
	projectionLagEventsDesc = prometheus.NewDesc("channeldesk_projection_lag_events",
		"Committed events the read model has not applied yet.", []string{"projection"}, nil)
	projectionLagSecondsDesc = prometheus.NewDesc("channeldesk_projection_lag_seconds",
		"Age of the oldest event the read model has not applied yet; 0 when caught up.", []string{"projection"}, nil)
	projectionStateDesc = prometheus.NewDesc("channeldesk_projection_state",
		"1 for the read model's current state (starting, live, rebuilding).", []string{"projection", "state"}, nil)
)

// Describe implements prometheus.Collector.
func (projectionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- projectionPositionDesc
	ch <- projectionLagEventsDesc
	ch <- projectionLagSecondsDesc
	ch <- projectionStateDesc
}

// Collect implements prometheus.Collector. A failing status query shows
// as a scrape error (the other metrics are still served).
func (c projectionCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.reads.Status(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(projectionPositionDesc, err)
		return
	}
	for _, s := range st {
		ch <- prometheus.MustNewConstMetric(projectionPositionDesc, prometheus.GaugeValue, float64(s.Position), s.Name)
		ch <- prometheus.MustNewConstMetric(projectionLagEventsDesc, prometheus.GaugeValue, float64(s.LagEvents), s.Name)
		ch <- prometheus.MustNewConstMetric(projectionLagSecondsDesc, prometheus.GaugeValue, s.LagSeconds, s.Name)
		for _, state := range []string{projections.StateStarting, projections.StateLive, projections.StateRebuilding} {
			v := 0.0
			if s.State == state {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(projectionStateDesc, prometheus.GaugeValue, v, s.Name, state)
		}
	}
}
