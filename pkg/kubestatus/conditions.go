package kubestatus

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// setConditions sets each desired condition in conds, keeping the lastTransitionTime of a
// condition whose status did not change (a reason or message change is no transition), and
// keeping condition types it does not set.
func setConditions(conds *[]metav1.Condition, now metav1.Time, desired ...metav1.Condition) {
	for _, c := range desired {
		c.LastTransitionTime = now
		meta.SetStatusCondition(conds, c)
	}
}

// onlyConditions is conds set to exactly desired (types not desired are dropped), keeping the
// lastTransitionTime of the conditions whose status did not change.
func onlyConditions(existing []metav1.Condition, now metav1.Time, desired ...metav1.Condition) []metav1.Condition {
	out := make([]metav1.Condition, 0, len(desired))
	for _, c := range desired {
		c.LastTransitionTime = now
		if old := meta.FindStatusCondition(existing, c.Type); old != nil && old.Status == c.Status {
			c.LastTransitionTime = old.LastTransitionTime
		}
		out = append(out, c)
	}
	return out
}

func condition(typ string, status metav1.ConditionStatus, reason, message string, generation int64) metav1.Condition {
	return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: message, ObservedGeneration: generation}
}

func boolStatus(ok bool) metav1.ConditionStatus {
	if ok {
		return metav1.ConditionTrue
	}
	return metav1.ConditionFalse
}
