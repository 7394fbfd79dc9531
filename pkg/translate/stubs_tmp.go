package translate

// certificateDraft is a certificate with the objects that asked for it.
type certificateDraft struct{}

func (t *translator) fillConsumers()                                 {}
func (t *translator) fillVaults()                                    {}
func (t *translator) fillConsumerGroups()                            {}
func (t *translator) fillPlugins(services []*kongService)            {}
func (t *translator) fillCertificates(rs *ruleSet, s []*kongService) {}
func (t *translator) fillCACertificates()                            {}
