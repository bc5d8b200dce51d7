package config

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
)

// Severity tells whether a diagnostic makes (part of) a configuration unusable.
type Severity uint8

const (
	// SeverityWarning marks something strongSwan accepts but logs, such as an
	// obsolete keyword or a missing include file.
	SeverityWarning Severity = iota + 1
	// SeverityError marks something strongSwan rejects or skips.
	SeverityError
)

func (s Severity) String() string {
	switch s {
	case SeverityWarning:
		return "warning"
	case SeverityError:
		return "error"
	}
	return "severity(" + strconv.Itoa(int(s)) + ")"
}

// Pos is the place a value or section was read from.
type Pos struct {
	File string
	Line int
}

// IsValid reports whether p names a file.
func (p Pos) IsValid() bool { return p.File != "" }

// String renders p as "file:line" ("file" without a line, "" when unknown).
func (p Pos) String() string {
	switch {
	case p.File == "":
		return ""
	case p.Line <= 0:
		return p.File
	}
	return p.File + ":" + strconv.Itoa(p.Line)
}

// Diagnostic is one problem found in a configuration file.
type Diagnostic struct {
	File     string
	Line     int
	Severity Severity
	Msg      string
}

// Pos returns the diagnostic's file and line.
func (d Diagnostic) Pos() Pos { return Pos{File: d.File, Line: d.Line} }

// Error renders the diagnostic as "file:line: msg"; warnings read
// "file:line: warning: msg".
func (d Diagnostic) Error() string {
	msg := d.Msg
	if d.Severity == SeverityWarning {
		msg = "warning: " + msg
	}
	if p := d.Pos().String(); p != "" {
		return p + ": " + msg
	}
	return msg
}

// HasErrors reports whether ds contains a diagnostic of SeverityError.
func HasErrors(ds []Diagnostic) bool {
	for _, d := range ds {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Filter returns the diagnostics of the given severity.
func Filter(ds []Diagnostic, sev Severity) []Diagnostic {
	var out []Diagnostic
	for _, d := range ds {
		if d.Severity == sev {
			out = append(out, d)
		}
	}
	return out
}

// Err joins the errors (not the warnings) of ds into one error, or returns
// nil if there are none.
func Err(ds []Diagnostic) error {
	var errs []error
	for _, d := range ds {
		if d.Severity == SeverityError {
			errs = append(errs, d)
		}
	}
	return errors.Join(errs...)
}

// diags collects diagnostics, dropping exact duplicates (a bad value in a
// %default section is seen once per conn inheriting it).
type diags struct {
	list []Diagnostic
	seen map[Diagnostic]bool
}

func (l *diags) add(pos Pos, sev Severity, format string, args ...any) {
	d := Diagnostic{File: pos.File, Line: pos.Line, Severity: sev, Msg: fmt.Sprintf(format, args...)}
	if l.seen == nil {
		l.seen = make(map[Diagnostic]bool)
	}
	if l.seen[d] {
		return
	}
	l.seen[d] = true
	l.list = append(l.list, d)
}

func (l *diags) errorf(pos Pos, format string, args ...any) {
	l.add(pos, SeverityError, format, args...)
}

func (l *diags) warnf(pos Pos, format string, args ...any) {
	l.add(pos, SeverityWarning, format, args...)
}

func (l *diags) merge(ds []Diagnostic) {
	for _, d := range ds {
		l.add(d.Pos(), d.Severity, "%s", d.Msg)
	}
}

// sorted returns the diagnostics ordered by line within each file; files
// keep the order in which they first appear.
func (l *diags) sorted() []Diagnostic {
	first := map[string]int{}
	for i, d := range l.list {
		if _, ok := first[d.File]; !ok {
			first[d.File] = i
		}
	}
	out := append([]Diagnostic(nil), l.list...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.File != b.File {
			return first[a.File] < first[b.File]
		}
		return a.Line < b.Line
	})
	return out
}
