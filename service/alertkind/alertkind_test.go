package alertkind_test

import (
	"testing"
	"unicode"

	"github.com/gdyouth/youthvoice/service/alertkind"
)

// Every kind has its own key, a Chinese name and a default mapping, and
// is found again from its key (as an outbox row or the configuration
// names it); the zero Kind and unknown keys are none of them.
func TestRegistry(t *testing.T) {
	all := alertkind.All()
	if len(all) != 19 {
		t.Fatalf("%d kinds, want the 19 the service sends", len(all))
	}
	seen := map[string]bool{}
	for _, k := range all {
		key := k.Key()
		if key == "" || seen[key] {
			t.Errorf("kind %d: key %q empty or taken", k, key)
		}
		seen[key] = true
		if got, ok := alertkind.Parse(key); !ok || got != k {
			t.Errorf("Parse(%q) = %v, %v; want %v", key, got, ok, k)
		}
		han := false
		for _, r := range k.Name() {
			han = han || unicode.Is(unicode.Han, r)
		}
		if !han {
			t.Errorf("%s: name %q is not Chinese", key, k.Name())
		}
		f := k.DefaultFields()
		if len(f) == 0 {
			t.Errorf("%s: no default fields", key)
		}
		for field := range f {
			f[field] = "changed"
		}
		for _, kw := range k.DefaultFields() {
			if kw == "changed" {
				t.Errorf("%s: DefaultFields hands out the registry's own map", key)
			}
		}
	}
	if alertkind.Kind(0).Valid() || alertkind.Kind(0).Key() != "" || alertkind.Kind(len(all)+1).Valid() {
		t.Error("the zero Kind or one past the last is valid")
	}
	if _, ok := alertkind.Parse("answerd"); ok {
		t.Error(`Parse("answerd") found a kind`)
	}
	// Keys are stored in outbox rows and named in the configuration:
	// they never change.
	if alertkind.Answered.Key() != "answered" || alertkind.FollowUp.Key() != "followup" ||
		alertkind.BookingChanged.EnvPrefix() != "YV_TEMPLATE_BOOKING_CHANGED" {
		t.Errorf("keys changed: %s, %s, %s", alertkind.Answered.Key(), alertkind.FollowUp.Key(), alertkind.BookingChanged.EnvPrefix())
	}
}
