package translate

// certificateDraft is a certificate with the objects that asked for it.
type certificateDraft struct{}

func (t *translator) translateIngresses() *ruleSet                 { return newRuleSet() }
func (t *translator) populateServices(rs *ruleSet) map[string]bool { return nil }
func (t *translator) buildUpstreams(rs *ruleSet, skip map[string]bool) []*kongService {
	return nil
}
func (t *translator) applyOverrides(services []*kongService)         {}
func (t *translator) fillConsumers()                                 {}
func (t *translator) fillVaults()                                    {}
func (t *translator) fillConsumerGroups()                            {}
func (t *translator) fillPlugins(services []*kongService)            {}
func (t *translator) fillCertificates(rs *ruleSet, s []*kongService) {}
func (t *translator) fillCACertificates()                            {}
