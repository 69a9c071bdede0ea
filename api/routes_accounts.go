package api

import (
	"net/http"

	"github.com/channeldesk/channeldesk/internal/command"
)

// accountRoutes registers the account and partner command endpoints of
// API.md beyond the first slice. Path parameters are checked by the
// command service: an ID of the wrong form answers 404, as an unknown one.
func (s *Server) accountRoutes(mux *http.ServeMux) {
	c := s.cfg.Commands
	route := func(pattern string, h func(http.ResponseWriter, *http.Request) error) {
		mux.Handle(pattern, s.command(pattern, h))
	}

	route("POST /v1/accounts/{id}/address", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.ChangeAddressInput) (command.Result, error) {
		return c.ChangeAddress(r.Context(), m, r.PathValue("id"), in)
	}))
	route("POST /v1/accounts/{id}/vat-number", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.SetVATNumberInput) (command.Result, error) {
		return c.SetVATNumber(r.Context(), m, r.PathValue("id"), in)
	}))
	route("POST /v1/accounts/{id}/tags", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.TagAccountInput) (command.Result, error) {
		return c.TagAccount(r.Context(), m, r.PathValue("id"), in)
	}))
	route("DELETE /v1/accounts/{id}/tags/{tag}", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, _ NoBody) (command.Result, error) {
		return c.UntagAccount(r.Context(), m, r.PathValue("id"), r.PathValue("tag"))
	}))
	route("POST /v1/accounts/{id}/contacts", commandHandler(http.StatusCreated, func(r *http.Request, m command.Meta, in command.AddContactInput) (command.Result, error) {
		return c.AddContact(r.Context(), m, r.PathValue("id"), in)
	}))
	route("POST /v1/accounts/{id}/contacts/{contact_id}/access", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.SetContactAccessInput) (command.Result, error) {
		return c.SetContactAccess(r.Context(), m, r.PathValue("id"), r.PathValue("contact_id"), in)
	}))
	route("POST /v1/accounts/{id}/contacts/{contact_id}/forget", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, _ NoBody) (command.Result, error) {
		return c.ForgetContact(r.Context(), m, r.PathValue("id"), r.PathValue("contact_id"))
	}))
	route("POST /v1/accounts/{id}/invoice-delivery", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.SetInvoiceDeliveryInput) (command.Result, error) {
		return c.SetInvoiceDelivery(r.Context(), m, r.PathValue("id"), in)
	}))
	route("POST /v1/accounts/{id}/solution-advisor", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.AssignSolutionAdvisorInput) (command.Result, error) {
		return c.AssignSolutionAdvisor(r.Context(), m, r.PathValue("id"), in)
	}))
	route("POST /v1/accounts/{id}/view-rights", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.GrantViewRightsInput) (command.Result, error) {
		return c.GrantViewRights(r.Context(), m, r.PathValue("id"), in)
	}))
	route("DELETE /v1/accounts/{id}/view-rights/{partner_id}", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, _ NoBody) (command.Result, error) {
		return c.RevokeViewRights(r.Context(), m, r.PathValue("id"), r.PathValue("partner_id"))
	}))
	route("POST /v1/accounts/{id}/renewal-partner", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.DesignateRenewalPartnerInput) (command.Result, error) {
		return c.DesignateRenewalPartner(r.Context(), m, r.PathValue("id"), in)
	}))
	route("DELETE /v1/accounts/{id}/renewal-partner", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, _ NoBody) (command.Result, error) {
		return c.RemoveRenewalPartner(r.Context(), m, r.PathValue("id"))
	}))
	route("POST /v1/accounts/{id}/merge", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.MergeAccountsInput) (command.Result, error) {
		return c.MergeAccounts(r.Context(), m, r.PathValue("id"), in)
	}))
	route("POST /v1/accounts/{id}/embargo-hold/clear", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.ClearEmbargoHoldInput) (command.Result, error) {
		return c.ClearEmbargoHold(r.Context(), m, r.PathValue("id"), in)
	}))

	route("POST /v1/partners", commandHandler(http.StatusCreated, func(r *http.Request, m command.Meta, in command.RegisterPartnerInput) (command.Result, error) {
		return c.RegisterPartner(r.Context(), m, in)
	}))
	route("POST /v1/partners/{id}/status", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.ChangePartnerStatusInput) (command.Result, error) {
		return c.ChangePartnerStatus(r.Context(), m, r.PathValue("id"), in)
	}))
	route("POST /v1/partners/{id}/contacts", commandHandler(http.StatusCreated, func(r *http.Request, m command.Meta, in command.AddContactInput) (command.Result, error) {
		return c.AddPartnerContact(r.Context(), m, r.PathValue("id"), in)
	}))
	route("POST /v1/partners/{id}/contacts/{contact_id}/forget", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, _ NoBody) (command.Result, error) {
		return c.ForgetPartnerContact(r.Context(), m, r.PathValue("id"), r.PathValue("contact_id"))
	}))
	route("POST /v1/partners/{id}/embargo-hold/clear", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.ClearEmbargoHoldInput) (command.Result, error) {
		return c.ClearPartnerEmbargoHold(r.Context(), m, r.PathValue("id"), in)
	}))
	route("POST /v1/partners/{id}/contacts/{contact_id}/access", commandHandler(http.StatusOK, func(r *http.Request, m command.Meta, in command.SetContactAccessInput) (command.Result, error) {
		return c.SetPartnerContactAccess(r.Context(), m, r.PathValue("id"), r.PathValue("contact_id"), in)
	}))
}
