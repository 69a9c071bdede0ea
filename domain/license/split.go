package license

import (
	"fmt"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/domain/ids"
	"github.com/channeldesk/channeldesk/domain/names"
)

// Split decides cmd against the state s of the license being split. It
// returns the events of one atomic append over several streams: first the
// license's own stream (LicenseSplit, then Rescinded: the original is given
// up), then one stream per part in the order of cmd.Parts (Issued, with the
// original as parent and the original's product, edition, owner, source
// order and maintenance end: maintenance is split with the licenses). The
// command service appends each part's stream expecting it to be new, so a
// part ID that is already taken makes the whole split a conflict.
//
// The rules of DOMAIN.md, in the order they are checked after who may ask:
// a rescinded license is not split again (license.rescinded); allocations
// must be returned first (license.split_allocated — a split replaces the
// license, and users allocated to a license that no longer exists would be
// neither returned nor moved); the parts sum to the license's quantity
// (license.split_sum); more than SplitApprovalThreshold users need a staff
// approval recorded on a support case, so only staff may execute such a
// split, naming the case (license.split_needs_approval); and the customer's
// email authorisation comes from the company's own domain
// (license.split_email_authorisation).
//
// Who may ask: admin or support staff, or an unrestricted contact of the
// owning account; a contact of another organisation is told the license
// does not exist.
func Split(s State, cmd SplitLicense) ([]domain.StreamEvents, error) {
	if err := mayAsk(cmd.By); err != nil {
		return nil, err
	}
	var p domain.Problems
	switch n := len(cmd.Parts); {
	case n < 2:
		p.Add("parts", "must list at least two parts")
	case n > MaxSplitParts:
		p.Add("parts", "must list at most %d parts", MaxSplitParts)
	}
	seen := map[string]bool{}
	for i, part := range cmd.Parts {
		field := fmt.Sprintf("parts[%d]", i)
		switch {
		case !ValidID(part.LicenseID):
			p.Add(field+".license_id", "must be a license ID such as LIC-0000001")
		case part.LicenseID == cmd.LicenseID:
			p.Add(field+".license_id", "must be a new license, not the one split")
		case seen[part.LicenseID]:
			p.Add(field+".license_id", "must differ from the other parts' IDs")
		}
		seen[part.LicenseID] = true
		checkQuantity(&p, field+".quantity", part.Quantity)
	}
	if _, ok := names.EmailDomain(cmd.EmailAuthorisation.From); !ok {
		p.Add("email_authorisation.from", "must be the email address the authorisation came from")
	}
	checkReference(&p, "email_authorisation.reference", cmd.EmailAuthorisation.Reference)
	if cmd.ApprovalCase != "" && !ids.Case(cmd.ApprovalCase) {
		p.Add("approval_case", "must be a case number such as CASE-000001")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := mayAct(s, cmd.LicenseID, cmd.By, ownerMayChange); err != nil {
		return nil, err
	}
	if err := notRescinded(s); err != nil {
		return nil, err
	}
	if len(s.Allocations) > 0 {
		return nil, domain.Rule("license.split_allocated",
			"license %s has %d users allocated to %d license servers: return them before splitting", s.ID, s.Allocated(), len(s.Allocations))
	}
	sum := 0
	for _, part := range cmd.Parts {
		sum += part.Quantity
	}
	if sum != s.Quantity {
		return nil, domain.Rule("license.split_sum", "the parts sum to %d users, license %s has %d", sum, s.ID, s.Quantity)
	}
	if s.Quantity > SplitApprovalThreshold {
		switch {
		case cmd.ApprovalCase == "":
			return nil, domain.Rule("license.split_needs_approval",
				"splitting %d users (more than %d) needs a staff approval recorded on a support case: name the case", s.Quantity, SplitApprovalThreshold)
		case !cmd.By.IsStaffWith(domain.RoleAdmin, domain.RoleSupport):
			return nil, domain.Rule("license.split_needs_approval",
				"splitting %d users (more than %d) is executed by staff from the approved case %s", s.Quantity, SplitApprovalThreshold, cmd.ApprovalCase)
		}
	}
	from, _ := names.EmailDomain(cmd.EmailAuthorisation.From)
	if cmd.OwnerDomain == "" || !names.InDomain(from, cmd.OwnerDomain) {
		return nil, domain.Rule("license.split_email_authorisation",
			"the email authorisation must come from the company's own domain %s, not %s", cmd.OwnerDomain, from)
	}

	parts := make([]Part, len(cmd.Parts))
	ids := make([]string, len(cmd.Parts))
	out := make([]domain.StreamEvents, 0, 1+len(cmd.Parts))
	out = append(out, domain.StreamEvents{StreamID: StreamID(s.ID)})
	for i, part := range cmd.Parts {
		parts[i] = Part{LicenseID: part.LicenseID, Quantity: part.Quantity, MaintenanceEnd: s.MaintenanceEnd}
		ids[i] = part.LicenseID
		out = append(out, domain.StreamEvents{StreamID: StreamID(part.LicenseID), Events: []domain.Event{Issued{
			LicenseID:       part.LicenseID,
			Product:         s.Product,
			Edition:         s.Edition,
			Quantity:        part.Quantity,
			OwnerAccountID:  s.Owner,
			SourceOrder:     s.SourceOrder,
			MaintenanceEnd:  s.MaintenanceEnd,
			ParentLicenseID: s.ID,
		}}})
	}
	out[0].Events = []domain.Event{
		LicenseSplit{
			Parts:              parts,
			RescindList:        []string{s.ID},
			EmailAuthorisation: cmd.EmailAuthorisation,
			ApprovalCase:       cmd.ApprovalCase,
		},
		Rescinded{Reason: ReasonSplit, ReplacedBy: ids},
	}
	return out, nil
}
