// Package auth issues and checks bearer tokens. A token names a principal
// (a staff member with roles, or a partner or customer contact); only a
// SHA-256 hash of it is stored, so a leaked database does not leak tokens.
//
// A token reads "cdk_<id>_<secret>". The ID finds the row; the presented
// token's hash is compared with the stored hash in constant time. Tokens
// expire (default 90 days) and can be revoked. An instance running
// Registry.Watch keeps the tokens it checked in memory and drops one as
// soon as PostgreSQL announces a change to its row (a trigger notifies on
// every update and delete, when it commits); without a listening
// connection every check reads the database. A revocation thus takes
// effect on every instance within the time a notice takes to arrive.
package auth
