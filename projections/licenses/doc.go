// Package licenses is the licenses read model (issue 4): every license with
// the account it answers under now, the partners' view rights on each
// customer's licenses, and the support cases. Its queries answer
// GET /v1/licenses (per account, view-rights scoped, maintenance expiring
// within N days) and GET /v1/cases (the case queue).
//
// The tables live in schema "proj_licenses":
//
//   - licenses: one row per license ever issued. account_id is the account
//     the license answers under now: its owner from license.issued,
//     license.transferred and license.owner_changed, followed through
//     merges (a rescinded license, which a merge does not move, follows its
//     merged owner into the survivor too). Status is active or rescinded.
//   - view_rights: one row per customer and partner holding view rights,
//     as domain/account's State keeps them: granted (replacing earlier
//     rights), revoked (all visibility at once), lapsing for a license that
//     no longer answers under the account (account.license_detached), gone
//     from a merged account and joined into the survivor's (all wins over
//     assigned, assigned lists unite).
//   - merged_accounts: which account each merged account was merged into,
//     so that a query by a merged ID answers under the survivor.
//   - cases: one row per support case, under the account it answers for
//     now (followed through merges like the licenses). Its resolution
//     target (resolution_due) is 5 business days after opening, weekends
//     and the holidays of the projection's calendar (WithCalendar) not
//     counted, moved on by the time the requester took to answer.
//   - case_steps: one row per event of a case's stream, of any
//     supportcase.* type (a type added later is a step of its own name
//     and moves the case to the status it carries): when, which step, who,
//     on whose behalf, the command and the payload. CaseTimeline reads
//     them, and the events the same commands appended on other streams
//     from the event store.
//
// Every value comes from the events (times from their RecordedAt or from
// the instants they record), so live and rebuilt tables are identical.
package licenses
