package translate

// translateHTTPRoutes is the Gateway API HTTPRoute translation (placeholder until it lands).
func (t *translator) translateHTTPRoutes() *ruleSet { return newRuleSet() }
