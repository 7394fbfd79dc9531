package translate

// translateTCPRoutes is the Gateway API TCPRoute translation (placeholder until it lands).
func (t *translator) translateTCPRoutes() *ruleSet { return newRuleSet() }

// translateUDPRoutes is the Gateway API UDPRoute translation (placeholder until it lands).
func (t *translator) translateUDPRoutes() *ruleSet { return newRuleSet() }

// translateTLSRoutes is the Gateway API TLSRoute translation (placeholder until it lands).
func (t *translator) translateTLSRoutes() *ruleSet { return newRuleSet() }
