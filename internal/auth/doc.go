// Package auth issues and checks bearer tokens. A token names a principal
// (a staff member with roles, or a partner or customer contact); only a
// SHA-256 hash of it is stored, so a leaked database does not leak tokens.
//
// A token reads "cdk_<id>_<secret>". The ID finds the row; the presented
// token's hash is compared with the stored hash in constant time. Tokens
// expire (default 90 days) and can be revoked; every check reads the
// database, so a revocation takes effect at once on every instance.
package auth
