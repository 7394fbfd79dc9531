package translate

// translateUDPIngresses is the UDPIngress translation (placeholder until it lands).
func (t *translator) translateUDPIngresses() *ruleSet { return newRuleSet() }
