package credentials

import (
	"fmt"
	"time"
)

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// formatTime renders t as strongSwan's %T printf hook: "Nov 27 15:45:12
// 2026" in loc's time, or "Nov 27 15:45:12 UTC 2026" with utc.
func formatTime(t time.Time, utc bool, loc *time.Location) string {
	if t.IsZero() {
		if utc {
			return "--- -- --:--:-- UTC ----"
		}
		return "--- -- --:--:-- ----"
	}
	zone := " "
	if utc {
		t = t.UTC()
		zone = " UTC "
	} else if loc != nil {
		t = t.In(loc)
	}
	return fmt.Sprintf("%s %02d %02d:%02d:%02d%s%04d", months[t.Month()-1], t.Day(), t.Hour(), t.Minute(), t.Second(), zone, t.Year())
}

// formatDelta renders the time between a and b as strongSwan's %V: whole
// days above two days, hours above two hours, minutes above two minutes,
// else seconds ("7202 days", "1 day", "5 minutes").
func formatDelta(a, b time.Time) string {
	d := a.Unix() - b.Unix()
	if d < 0 {
		d = -d
	}
	unit := "second"
	switch {
	case d > 2*60*60*24:
		d /= 60 * 60 * 24
		unit = "day"
	case d > 2*60*60:
		d /= 60 * 60
		unit = "hour"
	case d > 2*60:
		d /= 60
		unit = "minute"
	}
	if d != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%d %s", d, unit)
}
