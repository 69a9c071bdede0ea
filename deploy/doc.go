// Package deploy holds deployment files, not Go code: compose.yaml runs
// PostgreSQL, a three-node NATS JetStream cluster and two channeldesk
// instances; nats/nats.conf configures a cluster node; Dockerfile builds the
// image. See README.md for running on one machine without containers.
package deploy
