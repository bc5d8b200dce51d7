package interop

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"strings"
)

// charonLog is what the tests use of a charon log written with ike=4,
// chd=4, enc=3: the message summaries and the hex dumps of secrets.
type charonLog struct {
	summaries []summaryLine
	dumps     []dump
	selected  map[string]bool // "selected proposal: ..." texts
	self      netip.Addr      // the address charon sent its packets from
}

type summaryLine struct {
	generated bool // "generating" (sent) rather than "parsed" (received)
	text      string
}

// dump is one "NN[GRP] label => N bytes @ 0x..." block.
type dump struct {
	thread string
	label  string
	data   []byte
}

var (
	reSummary  = regexp.MustCompile(`^\d\d\[ENC\] (parsed|generating) ([A-Z_]+ (request|response) \d+ \[.*\])$`)
	reDumpHead = regexp.MustCompile(`^(\d\d)\[(?:IKE|CHD)\] (.*) => (\d+) bytes @ 0x[0-9a-f]+$`)
	reSelected = regexp.MustCompile(`^\d\d\[CFG\] selected proposal: (.*)$`)
	reSending  = regexp.MustCompile(`^\d\d\[NET\] sending packet: from ([0-9a-f.:]+)\[\d+\]`)
	reDumpLine = regexp.MustCompile(`^(\d\d)\[(?:IKE|CHD)\]\s+\d+: ((?:[0-9A-F]{2} ){1,16})`)
)

func readCharonLog(path string) (*charonLog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	l := &charonLog{selected: map[string]bool{}}
	var cur *dump
	var want int
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if cur != nil {
			if m := reDumpLine.FindStringSubmatch(line); m != nil && m[1] == cur.thread {
				b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(m[2]), " ", ""))
				if err != nil {
					return nil, fmt.Errorf("%s:%d: %v", path, n, err)
				}
				cur.data = append(cur.data, b...)
				continue
			}
			if len(cur.data) != want {
				return nil, fmt.Errorf("%s:%d: dump %q has %d of %d bytes", path, n, cur.label, len(cur.data), want)
			}
			l.dumps = append(l.dumps, *cur)
			cur = nil
		}
		if m := reSummary.FindStringSubmatch(line); m != nil {
			l.summaries = append(l.summaries, summaryLine{generated: m[1] == "generating", text: m[2]})
			continue
		}
		if m := reSending.FindStringSubmatch(line); m != nil {
			if a, err := netip.ParseAddr(m[1]); err == nil {
				l.self = a
			}
			continue
		}
		if m := reSelected.FindStringSubmatch(line); m != nil {
			l.selected[m[1]] = true
			continue
		}
		if m := reDumpHead.FindStringSubmatch(line); m != nil {
			cur = &dump{thread: m[1], label: m[2]}
			fmt.Sscan(m[3], &want)
		}
	}
	if cur != nil {
		if len(cur.data) != want {
			return nil, fmt.Errorf("%s: last dump %q is short", path, cur.label)
		}
		l.dumps = append(l.dumps, *cur)
	}
	return l, sc.Err()
}

// following returns the dumps logged by the same thread right after dump
// i, up to the next dump with the label stop (exclusive) or the end.
func (l *charonLog) following(i int, stop string) map[string][]byte {
	out := map[string][]byte{}
	for j := i + 1; j < len(l.dumps); j++ {
		d := l.dumps[j]
		if d.thread != l.dumps[i].thread {
			continue
		}
		if d.label == stop || d.label == l.dumps[i].label {
			break
		}
		if _, dup := out[d.label]; !dup {
			out[d.label] = d.data
		}
	}
	return out
}
