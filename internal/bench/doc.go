// Package bench measures channeldesk against raw baselines on the same
// machine, in the same run: our event store append against a plain
// PostgreSQL INSERT of the same rows, our relay against raw JetStream async
// publish, our rebuild against a raw bulk COPY, the time from a command's
// commit until the customer list shows it, and order commands through the
// HTTP API against appending the events they record.
//
// Each figure starts from an empty database: Run drops every schema of the
// database it is given and applies the migrations again, so the database
// must be one kept for benchmarks. Throughput figures run ours and the
// baseline in short alternating rounds (ours, raw, raw, ours, repeated) and
// report the median round of each side, so that a PostgreSQL checkpoint or
// a noisy neighbour biases neither side. Results are Rows, rendered as one
// Markdown table by Render; the figures live one per file.
package bench
