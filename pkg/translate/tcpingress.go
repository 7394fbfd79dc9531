package translate

// translateTCPIngresses is the TCPIngress translation (placeholder until it lands).
func (t *translator) translateTCPIngresses() *ruleSet { return newRuleSet() }
