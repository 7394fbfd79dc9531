package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestOwnershipTagMustBeOneTag: Kong reads tags=a/b as OR and a,b as AND, so a tag holding
// either would make entities carrying only "a" ours; blank tags would make everything ours.
func TestOwnershipTagMustBeOneTag(t *testing.T) {
	for tag, want := range map[string]string{
		"managed-by-kongdb": "",
		"kongdb/team-a":     "must be one tag",
		"kongdb,team-a":     "must be one tag",
		"":                  "must not be empty",
		" ":                 "must not be empty",
		"kongdb ":           "white space",
	} {
		k := KongFlags{URLs: []string{"http://k:8001"}, Access: "auto", OwnershipTag: tag}
		err := k.Validate(&cobra.Command{Use: "sync"})
		if want == "" {
			if err != nil {
				t.Errorf("tag %q: %v", tag, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "--ownership-tag") || !strings.Contains(err.Error(), want) {
			t.Errorf("tag %q: got %v, want an --ownership-tag error saying %q", tag, err, want)
		}
	}
}
