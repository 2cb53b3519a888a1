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
	if len(all) != 21 {
		t.Fatalf("%d kinds, want the 21 the service sends", len(all))
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

// Every field of every kind has a Chinese meaning, for the sandbox inbox
// that shows a message's fields as a person reads them; Fields lists
// them in the template's order.
func TestFieldLabels(t *testing.T) {
	for _, k := range alertkind.All() {
		fields := k.Fields()
		if len(fields) != len(k.DefaultFields()) {
			t.Errorf("%s: %d fields listed, %d mapped", k, len(fields), len(k.DefaultFields()))
		}
		for i, f := range fields {
			han := false
			for _, r := range f.Label {
				han = han || unicode.Is(unicode.Han, r)
			}
			if !han || k.Label(f.Name) != f.Label {
				t.Errorf("%s: field %s (%s) has no Chinese label: %q", k, f.Name, f.Keyword, f.Label)
			}
			if k.DefaultFields()[f.Name] != f.Keyword {
				t.Errorf("%s: field %s listed with keyword %s", k, f.Name, f.Keyword)
			}
			if i > 0 && fields[i-1].Keyword[len(fields[i-1].Keyword)-1] > f.Keyword[len(f.Keyword)-1] {
				t.Errorf("%s: fields out of the template's order: %v", k, fields)
			}
		}
	}
	f := alertkind.Answered.Fields()
	if len(f) != 3 || f[0] != (alertkind.Field{Name: "title", Keyword: "thing1", Label: "提问标题"}) || f[2].Keyword != "time3" {
		t.Errorf("Answered.Fields() = %v", f)
	}
	if alertkind.Kind(0).Fields() != nil || alertkind.Answered.Label("nope") != "" {
		t.Error("an invalid kind or field has a label")
	}
}
