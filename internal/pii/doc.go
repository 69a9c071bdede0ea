// Package pii keeps the personal data in events forgettable
// (crypto-shredding, issue 5): contact names, emails and phone numbers are
// stored sealed with AES-256-GCM under a key of the person's own, kept
// outside the event log in the table person_keys. Forgetting a person
// destroys its key: the events stay, and every value sealed under it reads
// as domain.Erased from then on, in every read model, export, rebuild and
// the activity log.
//
// Which fields are personal is declared in one place (Rules). Seal turns
// them into envelopes, "pii:v1:<subject>:<base64url(nonce|ciphertext)>",
// the subject being the contact ID (contact IDs are unique across accounts
// and partners, and a merge keeps them). The additional data binds each
// envelope to its subject, event type and field, so an envelope copied
// elsewhere does not open. Open turns the envelopes at those same declared
// places back into plaintext, or into domain.Erased once the key is
// destroyed; text elsewhere that merely looks sealed is left alone, and
// payloads without envelopes (events recorded before sealing began) pass
// unchanged. Where it is used: the command service's store
// (Codec.Store: the domain decides on plaintext), the projection runner
// (projections.Config.Opener: every read model but the activity log sees
// plaintext), and the activity log's queries (OpenPayload: its rows keep
// the envelopes, so a forget never rewrites them). The event feed and NATS
// carry the envelopes as stored.
//
// A destroyed key is gone from the live database only: a backup of
// person_keys taken before still holds it, so backups of that table must
// expire (or be kept apart from the event store's) for an erasure to be
// complete.
//
// Keys are not cached: every open reads the keys it needs (one statement
// per batch of events), so a key destroyed by one instance is never served
// by another.
package pii
