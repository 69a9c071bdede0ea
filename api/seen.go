package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/channeldesk/channeldesk/domain"
	"github.com/channeldesk/channeldesk/projections/contracts"
	"github.com/channeldesk/channeldesk/projections/licenses"
)

// seen answers 403 instead of 404 for a command on a resource the caller
// may see but not change. The domain refuses a partner that may not act on
// an agreement or a license as if it did not exist (it cannot know what
// the read side shows that partner: a distributor sees the agreements of
// the customers it distributed for, a partner with view rights the
// licenses), while API.md keeps 404 for a resource the caller may not see
// and answers 403 to one it sees and may not change. So on the domain's
// not-found the read model is asked whether the caller sees the resource
// named by the path parameter param; only the refusal path pays for the
// question. A resource the projection has not caught up with yet is still
// 404. Only partners are asked about: the domain hides a resource from no
// one else, so staff's or a customer's not-found is about the resource or
// a part of it named in the path (a malformed host ID of a license's
// allocation), never a hidden one.
func (s *Server) seen(param string, visible func(ctx context.Context, viewer domain.Principal, id string) (bool, error),
	h func(http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := h(w, r)
		p := principal(r.Context())
		if !errors.Is(err, domain.ErrNotFound) || p.Kind != domain.KindPartner {
			return err
		}
		ok, verr := visible(r.Context(), p, r.PathValue(param))
		if verr != nil {
			s.log.Warn("visibility of a refused command's resource", "error", verr)
			return err
		}
		if ok {
			return domain.Forbidden("you may see %s but not change it", r.PathValue(param))
		}
		return err
	}
}

// contractVisible reports whether viewer sees the agreement number in the
// contract search.
func (s *Server) contractVisible(ctx context.Context, viewer domain.Principal, number string) (bool, error) {
	return contracts.Visible(ctx, s.cfg.DB, viewer, number)
}

// licenseVisible reports whether viewer sees the license id in the
// licenses list.
func (s *Server) licenseVisible(ctx context.Context, viewer domain.Principal, id string) (bool, error) {
	return licenses.Visible(ctx, s.cfg.DB, viewer, id)
}
