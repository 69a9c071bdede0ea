package api

// forgetOp describes a forget endpoint in the OpenAPI document: what the
// erasure does and who may ask.
func forgetOp(op apiOperation) apiOperation {
	op.Description = "Takes no body (an empty body or `{}`). Records `contact_forgotten` and destroys the person's key: " +
		"the events stay, and the contact's name, email and phone read as `[erased]` from then on in every read model, " +
		"export and the activity log, through any rebuild. Admin or support staff, or an unrestricted org admin of the " +
		"organisation (for a partner: an org admin or business executive of the active partner); a contact cannot forget " +
		"itself. An already forgotten contact → 422 `rule_violation`; an unknown organisation, or one the caller may not " +
		"see → 404."
	return op
}
