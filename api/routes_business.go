package api

import (
	"net/http"

	"github.com/channeldesk/channeldesk/internal/command"
)

// businessRoutes registers the order, contract, license and support case
// command endpoints of API.md, and DELETE
// /v1/contracts/{number}/manage-rights/{partner_id} (RevokeManageRights),
// which API.md adds to the grant. Creations answer 201, every other
// command 200. Path parameters are checked by the command service: a
// malformed one is a resource that does not exist (404).
func (s *Server) businessRoutes(mux *http.ServeMux) {
	c := s.cfg.Commands
	route := func(pattern string, h func(http.ResponseWriter, *http.Request) error) {
		mux.Handle(pattern, s.command(pattern, h))
	}

	route("POST /v1/orders", commandHandler(http.StatusCreated, func(r *http.Request, m command.Meta, in command.SubmitOrderInput) (command.Result, error) {
		return c.SubmitOrder(r.Context(), m, in)
	}))
	route("POST /v1/orders/{number}/fulfil", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.FulfilOrderInput) (command.Result, error) {
		return c.FulfilOrder(r.Context(), m, r.PathValue("number"), in)
	}))
	route("POST /v1/orders/{number}/cancel", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.CancelOrderInput) (command.Result, error) {
		return c.CancelOrder(r.Context(), m, r.PathValue("number"), in)
	}))

	route("POST /v1/contracts", commandHandler(http.StatusCreated, func(r *http.Request, m command.Meta, in command.RegisterContractInput) (command.Result, error) {
		return c.RegisterContract(r.Context(), m, in)
	}))
	route("POST /v1/contracts/{number}/administrators", s.seen("number", s.contractVisible, commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.ChangeContractAdministratorsInput) (command.Result, error) {
		return c.ChangeContractAdministrators(r.Context(), m, r.PathValue("number"), in)
	})))
	route("POST /v1/contracts/{number}/discount-level", s.seen("number", s.contractVisible, commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.SetDiscountLevelInput) (command.Result, error) {
		return c.SetDiscountLevel(r.Context(), m, r.PathValue("number"), in)
	})))
	route("POST /v1/contracts/{number}/manage-rights", s.seen("number", s.contractVisible, commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.GrantManageRightsInput) (command.Result, error) {
		return c.GrantManageRights(r.Context(), m, r.PathValue("number"), in)
	})))
	route("DELETE /v1/contracts/{number}/manage-rights/{partner_id}", s.seen("number", s.contractVisible, commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, _ NoBody) (command.Result, error) {
		return c.RevokeManageRights(r.Context(), m, r.PathValue("number"), r.PathValue("partner_id"))
	})))

	route("POST /v1/licenses/{id}/allocations", s.seen("id", s.licenseVisible, commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.AllocateLicenseInput) (command.Result, error) {
		return c.AllocateLicense(r.Context(), m, r.PathValue("id"), in)
	})))
	route("DELETE /v1/licenses/{id}/allocations/{host_id}", s.seen("id", s.licenseVisible, commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, _ NoBody) (command.Result, error) {
		return c.ReturnAllocation(r.Context(), m, r.PathValue("id"), r.PathValue("host_id"))
	})))
	route("POST /v1/licenses/{id}/reallocate", s.seen("id", s.licenseVisible, commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.ReallocateLicenseInput) (command.Result, error) {
		return c.ReallocateLicense(r.Context(), m, r.PathValue("id"), in)
	})))
	route("POST /v1/licenses/{id}/split", s.seen("id", s.licenseVisible, commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.SplitLicenseInput) (command.Result, error) {
		return c.SplitLicense(r.Context(), m, r.PathValue("id"), in)
	})))
	route("POST /v1/licenses/{id}/transfer", s.seen("id", s.licenseVisible, commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.TransferLicenseInput) (command.Result, error) {
		return c.TransferLicense(r.Context(), m, r.PathValue("id"), in)
	})))
	route("POST /v1/licenses/{id}/renew", s.seen("id", s.licenseVisible, commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, _ NoBody) (command.Result, error) {
		return c.RenewMaintenance(r.Context(), m, r.PathValue("id"))
	})))

	route("POST /v1/cases", commandHandler(http.StatusCreated, func(r *http.Request, m command.Meta, in command.OpenCaseInput) (command.Result, error) {
		return c.OpenCase(r.Context(), m, in)
	}))
	route("POST /v1/cases/{number}/request-info", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.RequestInformationInput) (command.Result, error) {
		return c.RequestInformation(r.Context(), m, r.PathValue("number"), in)
	}))
	route("POST /v1/cases/{number}/provide-info", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.ProvideInformationInput) (command.Result, error) {
		return c.ProvideInformation(r.Context(), m, r.PathValue("number"), in)
	}))
	route("POST /v1/cases/{number}/approve", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.ApproveCaseInput) (command.Result, error) {
		return c.ApproveCase(r.Context(), m, r.PathValue("number"), in)
	}))
	route("POST /v1/cases/{number}/reject", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.RejectCaseInput) (command.Result, error) {
		return c.RejectCase(r.Context(), m, r.PathValue("number"), in)
	}))
}
