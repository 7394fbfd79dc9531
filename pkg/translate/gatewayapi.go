package translate

// gatewayCertificates returns the certificates of Gateway listeners (placeholder for the Gateway
// API work); KIC merges them after the Ingress certificates, an SNI belonging to the first.
func (t *translator) gatewayCertificates() []*certificateDraft { return nil }
