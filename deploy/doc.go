// Package deploy holds deployment files: compose.yaml runs PostgreSQL, a
// three-node NATS JetStream cluster and two channeldesk instances;
// nats/nats.conf configures a cluster node; Dockerfile builds the image;
// restricted-parties.csv is the sample restricted-party list, embedded as
// the default of `channeldesk serve`. See README.md for running on one
// machine without containers.
package deploy
