package api

import "fmt"

// operations names the command each command route runs (API.md,
// "Commands"), as the activity log and the events' metadata record it.
var operations = map[string]string{
	"POST /v1/accounts":                                        "RegisterAccount",
	"POST /v1/accounts/{id}/rename":                            "RenameCompany",
	"POST /v1/accounts/{id}/address":                           "ChangeAddress",
	"POST /v1/accounts/{id}/vat-number":                        "SetVATNumber",
	"POST /v1/accounts/{id}/tags":                              "TagAccount",
	"DELETE /v1/accounts/{id}/tags/{tag}":                      "UntagAccount",
	"POST /v1/accounts/{id}/contacts":                          "AddContact",
	"POST /v1/accounts/{id}/contacts/{contact_id}/access":      "SetContactAccess",
	"POST /v1/accounts/{id}/contacts/{contact_id}/forget":      "ForgetContact",
	"POST /v1/accounts/{id}/invoice-delivery":                  "SetInvoiceDelivery",
	"POST /v1/accounts/{id}/solution-advisor":                  "AssignSolutionAdvisor",
	"POST /v1/accounts/{id}/view-rights":                       "GrantViewRights",
	"DELETE /v1/accounts/{id}/view-rights/{partner_id}":        "RevokeViewRights",
	"POST /v1/accounts/{id}/renewal-partner":                   "DesignateRenewalPartner",
	"DELETE /v1/accounts/{id}/renewal-partner":                 "RemoveRenewalPartner",
	"POST /v1/accounts/{id}/merge":                             "MergeAccounts",
	"POST /v1/accounts/{id}/embargo-hold/clear":                "ClearEmbargoHold",
	"POST /v1/partners":                                        "RegisterPartner",
	"POST /v1/partners/{id}/status":                            "ChangePartnerStatus",
	"POST /v1/partners/{id}/contacts":                          "AddPartnerContact",
	"POST /v1/partners/{id}/contacts/{contact_id}/access":      "SetContactAccess",
	"POST /v1/partners/{id}/contacts/{contact_id}/forget":      "ForgetContact",
	"POST /v1/partners/{id}/embargo-hold/clear":                "ClearEmbargoHold",
	"POST /v1/orders":                                          "SubmitOrder",
	"POST /v1/orders/{number}/fulfil":                          "FulfilOrder",
	"POST /v1/orders/{number}/cancel":                          "CancelOrder",
	"POST /v1/contracts":                                       "RegisterContract",
	"POST /v1/contracts/{number}/administrators":               "ChangeContractAdministrators",
	"POST /v1/contracts/{number}/discount-level":               "SetDiscountLevel",
	"POST /v1/contracts/{number}/manage-rights":                "GrantManageRights",
	"DELETE /v1/contracts/{number}/manage-rights/{partner_id}": "RevokeManageRights",
	"POST /v1/licenses/{id}/allocations":                       "AllocateLicense",
	"DELETE /v1/licenses/{id}/allocations/{host_id}":           "ReturnAllocation",
	"POST /v1/licenses/{id}/reallocate":                        "ReallocateLicense",
	"POST /v1/licenses/{id}/split":                             "SplitLicense",
	"POST /v1/licenses/{id}/transfer":                          "TransferLicense",
	"POST /v1/licenses/{id}/renew":                             "RenewMaintenance",
	"POST /v1/cases":                                           "OpenCase",
	"POST /v1/cases/{number}/request-info":                     "RequestInformation",
	"POST /v1/cases/{number}/provide-info":                     "ProvideInformation",
	"POST /v1/cases/{number}/approve":                          "ApproveCase",
	"POST /v1/cases/{number}/reject":                           "RejectCase",
}

// operation returns the command of a command route; a route without one is
// a programming error, found when the routes are registered.
func operation(pattern string) string {
	op, ok := operations[pattern]
	if !ok {
		panic(fmt.Sprintf("api: command route %q names no operation (api/operations.go)", pattern))
	}
	return op
}
