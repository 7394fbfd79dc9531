package admin

import (
	"fmt"
	"reflect"
	"strings"
	"unicode"
)

// ValidateTag checks that tag can serve as the ownership tag: exactly one Kong tag. Kong reads
// `tags=a/b` as "a or b" and `tags=a,b` as "a and b", so a tag holding "/" would list (and
// so make delete candidates of) entities carrying only "a"; "," cannot be stored in a tag at
// all. Empty, blank or space-padded tags and control characters are refused too: Kong
// rejects them, or they differ from what the user sees.
func ValidateTag(tag string) error {
	switch {
	case strings.TrimSpace(tag) == "":
		return fmt.Errorf("ownership tag %q must not be empty: without it every entity in Kong would count as ours", tag)
	case strings.TrimSpace(tag) != tag:
		return fmt.Errorf("ownership tag %q must not start or end with white space", tag)
	case strings.ContainsAny(tag, "/,"):
		return fmt.Errorf("ownership tag %q must be one tag: Kong reads \"/\" in a tag filter as OR and \",\" as AND", tag)
	case strings.ContainsFunc(tag, unicode.IsControl):
		return fmt.Errorf("ownership tag %q must not hold control characters", tag)
	}
	return nil
}

// tagsOf is the Tags field of a go-kong entity (every listed type has one), nil without it.
func tagsOf[T any](e *T) []*string {
	f := reflect.ValueOf(e).Elem().FieldByName("Tags")
	if !f.IsValid() {
		return nil
	}
	tags, _ := f.Interface().([]*string)
	return tags
}
