// Command channeldesk runs the channeldesk back office and its tools.
//
//	channeldesk serve                      run the API, relay and projectors
//	channeldesk migrate                    create the database and apply migrations
//	channeldesk token create|list|revoke   manage bearer tokens
//	channeldesk projections status|rebuild read-model state; rebuild one from the store
//	channeldesk audit verify               check the activity log's hash chains
//	channeldesk demo                       load a realistic data set through the commands
//	channeldesk bench                      measure against raw baselines
//
// Run `channeldesk <command> -h` for a command's flags.
package main
