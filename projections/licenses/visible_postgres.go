package licenses

import (
	"context"
	"fmt"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/projections/readmodel"
)

// Visible reports whether viewer may see the license id in the licenses
// list (ListLicenses says who sees what). The command API asks it when the
// domain refuses a caller as if the license did not exist: one the caller
// sees is answered 403, not 404 (API.md).
func Visible(ctx context.Context, q Querier, viewer domain.Principal, id string) (bool, error) {
	sql := `SELECT EXISTS (SELECT 1 FROM ` + Schema + `.licenses l WHERE l.license_id = $1`
	args := []any{id}
	switch readmodel.ScopeOf(viewer) {
	case readmodel.SeeAll:
	case readmodel.SeeOwn:
		own, err := Resolve(ctx, q, viewer.AccountID)
		if err != nil {
			return false, err
		}
		sql += ` AND l.account_id = $2`
		args = append(args, own)
	case readmodel.SeeRelated:
		sql += ` AND l.status = 'active' AND EXISTS (SELECT 1 FROM ` + Schema + `.view_rights v
			WHERE v.account_id = l.account_id AND v.partner_id = $2 AND (v.scope = 'all' OR l.license_id = ANY(v.license_ids)))`
		args = append(args, viewer.PartnerID)
	default:
		return false, nil
	}
	var ok bool
	if err := q.QueryRow(ctx, sql+`)`, args...).Scan(&ok); err != nil {
		return false, fmt.Errorf("license %s: %w", id, err)
	}
	return ok, nil
}
