package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/account"
	"github.com/channeldesk/channeldesk/domain/license"
	"github.com/channeldesk/channeldesk/domain/names"
	"github.com/channeldesk/channeldesk/domain/supportcase"
	"github.com/channeldesk/channeldesk/internal/command"
)

// Stories are what happened to the showcase customers once everything else
// was recorded.
type Stories struct {
	// Merge: the second showcase customer was acquired by the first.
	MergeSource, MergeTarget, MergeCase string
	// Split: the first customer's big license, split on an approved case.
	SplitLicense string
	SplitParts   []string
	SplitCase    string
	// Rename: the first customer took a name for the combined company.
	RenamedAccount, OldName, NewName string
}

// stories tells the three stories of the showcase: the first customer
// acquires the second (a merge its admin asks for on a support case, which
// admin staff approve and support executes), splits its 1500-user license
// for the acquired business (again on an approved case, as more than 1000
// users need), and takes a new name, backed by an email from its own domain
// and a press release.
func (l *loader) stories(ctx context.Context) (err error) {
	target, source := l.showcase[0], l.showcase[1]
	cust := target.customer()
	support := staffSupport[0]
	st := &l.story

	corr := correlation()
	spa := fmt.Sprintf("share purchase agreement %s acquires %s, signed %s", target.org.name, source.org.name, date(l.today.AddDate(0, 0, -21)))
	merge := command.MergeAccountsInput{Into: target.id, Reason: account.MergeAcquisition, Evidence: []string{spa}}
	st.MergeCase, err = l.approvedCase(ctx, corr, target, command.OpenCaseInput{
		RequestType: supportcase.RequestGeneral, Subject: supportcase.SubjectMerge, AccountID: target.id,
		Description: fmt.Sprintf("We acquired %s (account %s). Please merge its account into ours.", source.org.name, source.id),
		Evidence:    []string{spa},
	}, merge, "Acquisition confirmed by the signed share purchase agreement.")
	if err != nil {
		return err
	}
	merge.Evidence = append(merge.Evidence, st.MergeCase)
	if _, err := l.do("merge accounts", func() (command.Result, error) {
		return l.cmds.MergeAccounts(ctx, onBehalf(support, cust, corr), source.id, merge)
	}); err != nil {
		return err
	}
	st.MergeSource, st.MergeTarget = source.id, target.id

	corr = correlation()
	authorisation := license.EmailAuthorisation{From: "it.licensing@" + target.org.domain, Reference: fmt.Sprintf("<split-%s@mail.%s>", strings.ToLower(target.big), target.org.domain)}
	split := command.SplitLicenseInput{Parts: []command.SplitPartInput{{Quantity: 1000}, {Quantity: bigLicenseUsers - 1000}}, EmailAuthorisation: authorisation}
	st.SplitCase, err = l.approvedCase(ctx, corr, target, command.OpenCaseInput{
		RequestType: supportcase.RequestLicensing, Subject: supportcase.SubjectSplit, AccountID: target.id,
		Description: fmt.Sprintf("Please split license %s (%d users) into 1000 users for us and %d for the business we acquired.", target.big, bigLicenseUsers, bigLicenseUsers-1000),
		Evidence:    []string{"email authorisation " + authorisation.Reference + " from " + authorisation.From},
	}, split, "Customer authorised the split by email from its own domain.")
	if err != nil {
		return err
	}
	split.ApprovalCase = st.SplitCase
	if _, err := l.do("split license", func() (command.Result, error) {
		return l.cmds.SplitLicense(ctx, onBehalf(support, cust, corr), target.big, split)
	}); err != nil {
		return err
	}
	st.SplitLicense = target.big
	if st.SplitParts, err = l.splitParts(ctx, target.big); err != nil {
		return err
	}

	newName := fmt.Sprintf("%s %s Group %s", target.org.head, source.org.head, target.org.legal)
	if target.org.head == source.org.head || names.FoldCompany(newName) == names.FoldCompany(target.org.name) {
		newName = fmt.Sprintf("%s Global Group %s", target.org.head, target.org.legal)
	}
	rename := command.RenameCompanyInput{NewName: newName, Evidence: account.RenameEvidence{
		EmailConfirmation: account.EmailConfirmation{From: "legal@" + target.org.domain, Reference: fmt.Sprintf("<rename-%s@mail.%s>", strings.ToLower(target.id), target.org.domain)},
		Document: account.Document{Kind: account.DocPressRelease, Reference: "https://press." + target.org.domain + "/news/a-new-name",
			OldName: target.org.name, NewName: newName},
	}}
	if _, err := l.do("rename company", func() (command.Result, error) {
		return l.cmds.RenameCompany(ctx, meta(cust, correlation()), target.id, rename)
	}); err != nil {
		return err
	}
	st.RenamedAccount, st.OldName, st.NewName = target.id, target.org.name, newName
	return nil
}

// approvedCase has the customer's admin open a case asking for what
// proposed describes, and admin staff approve it with note; it returns the
// case number. The case carries no proposal (see supportcase.Proposed):
// support then executes the change on the customer's behalf, naming the
// case, so the story shows both the approval and the change on behalf of
// the customer.
func (l *loader) approvedCase(ctx context.Context, corr string, a *accountRun, in command.OpenCaseInput, proposed any, note string) (string, error) {
	b, err := json.Marshal(proposed)
	if err != nil {
		return "", err
	}
	in.Description += "\nRequested change: " + string(b)
	res, err := l.do("open case", func() (command.Result, error) { return l.cmds.OpenCase(ctx, meta(a.customer(), corr), in) })
	if err != nil {
		return "", err
	}
	if _, err := l.do("approve case", func() (command.Result, error) {
		return l.cmds.ApproveCase(ctx, meta(staffAdmin, corr), res.ID, command.ApproveCaseInput{Note: note})
	}); err != nil {
		return "", err
	}
	return res.ID, nil
}

// splitParts reads the licenses a split issued from the split license's
// stream.
func (l *loader) splitParts(ctx context.Context, id string) ([]string, error) {
	s, err := first[license.LicenseSplit](ctx, l.streams, license.StreamID(id))
	var ids []string
	for _, p := range s.Parts {
		ids = append(ids, p.LicenseID)
	}
	return ids, err
}

// first reads stream and returns its first event of type E.
func first[E domain.Event](ctx context.Context, streams Streams, stream string) (E, error) {
	var e E
	evs, err := streams.Load(ctx, stream)
	if err != nil {
		return e, err
	}
	for _, ev := range evs {
		if ev.Type == e.EventType() {
			if err := json.Unmarshal(ev.Data, &e); err != nil {
				return e, fmt.Errorf("decode %s at %d: %w", ev.Type, ev.Position, err)
			}
			return e, nil
		}
	}
	return e, fmt.Errorf("%s has no %s event", stream, e.EventType())
}
