package translate

// translateGRPCRoutes is the Gateway API GRPCRoute translation (placeholder until it lands).
func (t *translator) translateGRPCRoutes() *ruleSet { return newRuleSet() }
