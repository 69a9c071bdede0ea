package command

import (
	"context"
	"time"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/ids"
	"github.com/channeldesk/channeldesk/domain/license"
	"github.com/channeldesk/channeldesk/domain/supportcase"
	"github.com/channeldesk/channeldesk/internal/numbering"
)

var licenses = Aggregate[license.State]{Evolve: license.Evolve}

// onLicense runs a command that records on the existing license id alone,
// decided by decide with the acting party resolved.
func (s *Service) onLicense(ctx context.Context, m Meta, id string, decide func(u *Unit, by domain.Actor, st license.State) ([]domain.Event, error)) (Result, error) {
	if !ids.License(id) {
		return Result{}, domain.ErrNotFound
	}
	return s.Run(ctx, m, id, license.StreamID(id), func(u *Unit) error {
		by, err := u.Actor(m)
		if err != nil {
			return err
		}
		st, err := Load(u, licenses, license.StreamID(id))
		if err != nil {
			return err
		}
		evs, err := decide(u, by, st)
		if err != nil {
			return err
		}
		u.Emit(license.StreamID(id), evs...)
		return nil
	})
}

// AllocateLicenseInput is the body of AllocateLicense.
type AllocateLicenseInput struct {
	HostIDType string `json:"host_id_type"`
	HostID     string `json:"host_id"`
	Quantity   int    `json:"quantity"`
}

// AllocateLicense allocates users of a license to a license server.
func (s *Service) AllocateLicense(ctx context.Context, m Meta, id string, in AllocateLicenseInput) (Result, error) {
	at := s.cfg.Now()
	return s.onLicense(ctx, m, id, func(_ *Unit, by domain.Actor, st license.State) ([]domain.Event, error) {
		return license.Decide(st, license.AllocateLicense{LicenseID: id, HostIDType: in.HostIDType, HostID: in.HostID, Quantity: in.Quantity, By: by, At: at})
	})
}

// ReturnAllocation returns everything of a license allocated to hostID. A
// host ID that is none of the canonical forms cannot hold an allocation and
// is answered as an unknown resource.
func (s *Service) ReturnAllocation(ctx context.Context, m Meta, id, hostID string) (Result, error) {
	if !license.ValidHostID(license.HostName, hostID) && !license.ValidHostID(license.HostMAC, hostID) && !license.ValidHostID(license.HostIP, hostID) {
		return Result{}, domain.ErrNotFound
	}
	at := s.cfg.Now()
	return s.onLicense(ctx, m, id, func(_ *Unit, by domain.Actor, st license.State) ([]domain.Event, error) {
		return license.Decide(st, license.ReturnAllocation{LicenseID: id, HostID: hostID, By: by, At: at})
	})
}

// ReallocateLicenseInput is the body of ReallocateLicense.
type ReallocateLicenseInput struct {
	FromHostID   string `json:"from_host_id"`
	ToHostIDType string `json:"to_host_id_type"`
	ToHostID     string `json:"to_host_id"`
}

// ReallocateLicense moves what a license has allocated to one license
// server to another.
func (s *Service) ReallocateLicense(ctx context.Context, m Meta, id string, in ReallocateLicenseInput) (Result, error) {
	at := s.cfg.Now()
	return s.onLicense(ctx, m, id, func(_ *Unit, by domain.Actor, st license.State) ([]domain.Event, error) {
		return license.Decide(st, license.ReallocateLicense{LicenseID: id, FromHostID: in.FromHostID, ToHostIDType: in.ToHostIDType, ToHostID: in.ToHostID, By: by, At: at})
	})
}

// RenewMaintenance extends a license's maintenance by a year. The facts
// come from the owner's account in the same attempt: its renewal partner,
// and whether the acting partner has view rights on this license.
func (s *Service) RenewMaintenance(ctx context.Context, m Meta, id string) (Result, error) {
	at := s.cfg.Now()
	return s.onLicense(ctx, m, id, func(u *Unit, by domain.Actor, st license.State) ([]domain.Event, error) {
		cmd := license.RenewMaintenance{LicenseID: id, By: by, At: at}
		if st.Exists() && ids.Org(st.Owner) {
			owner, _, err := u.Account(st.Owner)
			if err != nil {
				return nil, err
			}
			cmd.RenewalPartnerID = owner.RenewalPartner
			cmd.HasViewRights = by.Kind == domain.KindPartner && owner.PartnerSeesLicense(by.PartnerID, id)
		}
		return license.Decide(st, cmd)
	})
}

// SplitPartInput is one part of a split: its number of users. Its license
// ID is drawn by the system.
type SplitPartInput struct {
	Quantity int `json:"quantity"`
}

// SplitLicenseInput is the body of SplitLicense.
type SplitLicenseInput struct {
	Parts              []SplitPartInput           `json:"parts"`
	EmailAuthorisation license.EmailAuthorisation `json:"email_authorisation"`
	ApprovalCase       string                     `json:"approval_case,omitempty"`
}

// RuleSplitCaseNotApproved refuses a split that names a support case which
// is not an approved split case of the license's owner.
const RuleSplitCaseNotApproved = "license.split_case_not_approved"

// SplitLicense splits a license into parts under newly drawn license IDs,
// in one atomic append: license.split and license.rescinded on the
// original, license.issued on each part, and on the owner's account
// account.license_detached for the original and account.license_attached
// for each part. The owner's primary domain, which the email authorisation
// must come from, and the approval case, when one is named, are loaded in
// the same attempt. License IDs are drawn once the split is known to be
// accepted, and kept across retries.
func (s *Service) SplitLicense(ctx context.Context, m Meta, id string, in SplitLicenseInput) (Result, error) {
	if !ids.License(id) {
		return Result{}, domain.ErrNotFound
	}
	at := s.cfg.Now()
	var partIDs []string
	return s.Run(ctx, m, id, license.StreamID(id), func(u *Unit) error {
		by, err := u.Actor(m)
		if err != nil {
			return err
		}
		var owner string
		if err := u.splitLicense(id, in, by, at, &partIDs, func(o string) error {
			owner = o
			if in.ApprovalCase == "" {
				return nil
			}
			return approvedSplitCase(u, in.ApprovalCase, owner)
		}); err != nil {
			return err
		}
		// The approval case completes with the split, after its events.
		return u.completeCase(in.ApprovalCase, supportcase.OperationSplitLicense, id, owner, by, at)
	})
}

// splitLicense decides, within u, the split of license id by by at at and
// emits its events (see SplitLicense). approval checks the approval case
// the split names, given the license's owner, once the split itself is
// known to be accepted; partIDs holds the license IDs drawn for the parts,
// kept across attempts. A case's approval runs it in the approval's own
// attempt, the case being the approval.
func (u *Unit) splitLicense(id string, in SplitLicenseInput, by domain.Actor, at time.Time, partIDs *[]string, approval func(owner string) error) error {
	st, err := Load(u, licenses, license.StreamID(id))
	if err != nil {
		return err
	}
	var owner account.State
	if st.Exists() && ids.Org(st.Owner) {
		if owner, _, err = u.Account(st.Owner); err != nil {
			return err
		}
	}
	cmd := license.SplitLicense{
		LicenseID: id, EmailAuthorisation: in.EmailAuthorisation, ApprovalCase: in.ApprovalCase,
		OwnerDomain: owner.PrimaryDomain, By: by, At: at,
	}
	// The split and the owner's links are decided first with
	// placeholder IDs, so that a refused split draws none.
	split := func(lics []string) ([]domain.StreamEvents, error) {
		cmd.Parts = make([]license.SplitPart, len(in.Parts))
		links := []account.Command{account.DetachLicense{AccountID: st.Owner, LicenseID: id, By: by, At: at}}
		for i, p := range in.Parts {
			cmd.Parts[i] = license.SplitPart{LicenseID: lics[i], Quantity: p.Quantity}
			links = append(links, account.AttachLicense{AccountID: st.Owner, LicenseID: lics[i], By: by, At: at})
		}
		streams, err := license.Split(st, cmd)
		if err != nil {
			return nil, err
		}
		attached, err := decideLinks(owner, links...)
		return append(streams, attached...), err
	}
	if _, err := split(placeholders("LIC-", len(in.Parts))); err != nil {
		return err
	}
	if err := approval(st.Owner); err != nil {
		return err
	}
	if len(*partIDs) != len(in.Parts) {
		if *partIDs, err = u.s.draw(u.ctx, numbering.License, len(in.Parts)); err != nil {
			return err
		}
	}
	streams, err := split(*partIDs)
	if err != nil {
		return err
	}
	u.EmitAll(streams)
	return nil
}

// approvedSplitCase checks that number is a support case, approved by
// staff, asking to split a license of account owner.
func approvedSplitCase(u *Unit, number, owner string) error {
	c, err := Load(u, cases, supportcase.StreamID(number))
	if err != nil {
		return err
	}
	switch {
	case !c.Exists():
		return domain.Rule(RuleSplitCaseNotApproved, "there is no support case %s", number)
	case c.Subject != supportcase.SubjectSplit || c.AccountID != owner:
		return domain.Rule(RuleSplitCaseNotApproved, "case %s does not ask to split a license of account %s", number, owner)
	case c.Status != supportcase.StatusApproved:
		return domain.Rule(RuleSplitCaseNotApproved, "case %s is %s, not approved", number, c.Status)
	}
	return nil
}

// decideLinks decides the link commands cmds on the account st in turn,
// each against the state the ones before it left, and returns their events
// on the account's stream.
func decideLinks(st account.State, cmds ...account.Command) ([]domain.StreamEvents, error) {
	out := make([]domain.StreamEvents, 0, len(cmds))
	for _, c := range cmds {
		evs, err := account.Decide(st, c)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			st = account.Evolve(st, e)
		}
		out = append(out, domain.StreamEvents{StreamID: account.StreamID(c.Target()), Events: evs})
	}
	return out, nil
}

// TransferLicenseInput is the body of TransferLicense.
type TransferLicenseInput struct {
	ToAccountID string `json:"to_account_id"`
	// ApprovalCase is the approved transfer case the transfer executes
	// (without a proposal of its own: one with a proposal is executed by
	// its approval, and may leave it out).
	ApprovalCase string `json:"approval_case,omitempty"`
}

// TransferLicense transfers a license to another account, in one atomic
// append: license.transferred, account.license_detached on the old owner
// and account.license_attached on the new one, and supportcase.executed
// completing the approved case the transfer names (in.ApprovalCase): a
// license goes to another organisation only on a case, which approves one
// transfer.
func (s *Service) TransferLicense(ctx context.Context, m Meta, id string, in TransferLicenseInput) (Result, error) {
	if !ids.License(id) {
		return Result{}, domain.ErrNotFound
	}
	at := s.cfg.Now()
	return s.Run(ctx, m, id, license.StreamID(id), func(u *Unit) error {
		by, err := u.Actor(m)
		if err != nil {
			return err
		}
		return u.transferLicense(id, in, by, at, func(owner string) error {
			return u.completeCase(in.ApprovalCase, supportcase.OperationTransferLicense, id, owner, by, at)
		})
	})
}

// completeCase decides, within u, that the change operation on target, for
// account owner, executes the approved case number (which proposed none),
// and emits its supportcase.executed. An empty number is left to the
// change's own rules (a transfer needs a case; a small split does not).
func (u *Unit) completeCase(number, operation, target, owner string, by domain.Actor, at time.Time) error {
	if number == "" || !ids.Case(number) {
		return nil
	}
	stream := supportcase.StreamID(number)
	c, err := Load(u, cases, stream)
	if err != nil {
		return err
	}
	evs, err := supportcase.Decide(c, supportcase.RecordExecution{
		CaseNumber: number, Operation: operation, Changed: target, AccountID: owner, By: by, At: at,
	})
	if err != nil {
		return err
	}
	u.Emit(stream, evs...)
	return nil
}

// transferLicense decides, within u, the transfer of license id by by at
// at and emits its events (see TransferLicense). approval checks and
// completes the case the transfer names, given the license's owner, once
// the transfer itself is known to be accepted. A case's approval runs it in
// the approval's own attempt, naming the case being approved.
func (u *Unit) transferLicense(id string, in TransferLicenseInput, by domain.Actor, at time.Time, approval func(owner string) error) error {
	st, err := Load(u, licenses, license.StreamID(id))
	if err != nil {
		return err
	}
	cmd := license.TransferLicense{LicenseID: id, ToAccountID: in.ToAccountID, ApprovalCase: in.ApprovalCase, By: by, At: at}
	var to account.State
	if ids.Org(in.ToAccountID) {
		if to, cmd.To, err = u.Account(in.ToAccountID); err != nil {
			return err
		}
	}
	evs, err := license.Decide(st, cmd)
	if err != nil {
		return err
	}
	from, _, err := u.Account(st.Owner)
	if err != nil {
		return err
	}
	detached, err := decideLinks(from, account.DetachLicense{AccountID: st.Owner, LicenseID: id, By: by, At: at})
	if err != nil {
		return err
	}
	attached, err := decideLinks(to, account.AttachLicense{AccountID: in.ToAccountID, LicenseID: id, By: by, At: at})
	if err != nil {
		return err
	}
	u.Emit(license.StreamID(id), evs...)
	u.EmitAll(detached)
	u.EmitAll(attached)
	// After the change's events, so that the case's completion follows
	// them in the append; a refusal abandons the attempt all the same.
	return approval(st.Owner)
}
