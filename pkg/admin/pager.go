package admin

import "fmt"

// MaxPages bounds one paged list: at PageSize entities a page, far beyond any Kong we serve,
// yet a server that hands out ever new offsets cannot keep a sync reading forever.
const MaxPages = 10000

// Pager guards a loop over Kong's paged lists (offset or next): the zero value is ready; Next
// is called with each page's continuation token and fails when the server repeats one (Kong
// would then serve the same pages again, forever) or after MaxPages pages.
type Pager struct {
	seen map[string]bool
}

// Next records token and reports an error when the loop must stop.
func (p *Pager) Next(token string) error {
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if p.seen[token] {
		return fmt.Errorf("the server repeated the page token %q after %d pages: stopped rather than loop", token, len(p.seen))
	}
	if len(p.seen) >= MaxPages {
		return fmt.Errorf("more than %d pages: stopped", MaxPages)
	}
	p.seen[token] = true
	return nil
}
