package config

import (
	"errors"
	"testing"
)

func TestDiagnostic(t *testing.T) {
	ds := []Diagnostic{
		{File: "/etc/ipsec.conf", Line: 3, Severity: SeverityError, Msg: "unknown keyword 'foo'"},
		{File: "/etc/ipsec.conf", Line: 7, Severity: SeverityWarning, Msg: "deprecated keyword 'pfs'"},
		{File: "/etc/strongswan.conf", Severity: SeverityError, Msg: "failed to open"},
	}
	for i, want := range []string{
		"/etc/ipsec.conf:3: unknown keyword 'foo'",
		"/etc/ipsec.conf:7: warning: deprecated keyword 'pfs'",
		"/etc/strongswan.conf: failed to open",
	} {
		if got := ds[i].Error(); got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
	}
	if !HasErrors(ds) || HasErrors(ds[1:2]) {
		t.Error("HasErrors")
	}
	if len(Filter(ds, SeverityWarning)) != 1 || len(Filter(ds, SeverityError)) != 2 {
		t.Error("Filter")
	}
	err := Err(ds)
	var d Diagnostic
	if err == nil || !errors.As(err, &d) || d.Line != 3 {
		t.Errorf("Err() = %v", err)
	}
	if Err(ds[1:2]) != nil {
		t.Error("Err of warnings only is not nil")
	}
	var l diags
	l.errorf(Pos{"b", 2}, "x")
	l.errorf(Pos{"a", 9}, "y")
	l.errorf(Pos{"b", 1}, "z")
	l.errorf(Pos{"b", 1}, "z")
	got := l.sorted()
	if len(got) != 3 || got[0].Msg != "z" || got[1].Msg != "x" || got[2].Msg != "y" {
		t.Errorf("sorted = %v", got)
	}
}
