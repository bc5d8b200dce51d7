package log

import (
	"bufio"
	"compress/gzip"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones of the golden file, whatever the host has
)

// TestStrftimeGlibc compares AppendStrftime with glibc 2.36's strftime in
// the C locale (testdata/strftime.golden.gz, made by strftime_gen.c).
func TestStrftimeGlibc(t *testing.T) {
	f, err := os.Open("testdata/strftime.golden.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	locs := map[string]*time.Location{}
	n := 0
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 4 {
			t.Fatalf("bad golden line %q", sc.Text())
		}
		unix, _ := strconv.ParseInt(fields[0], 10, 64)
		loc := locs[fields[1]]
		if loc == nil {
			if loc, err = time.LoadLocation(fields[1]); err != nil {
				t.Fatal(err)
			}
			locs[fields[1]] = loc
		}
		format, _ := hex.DecodeString(fields[2])
		want := ""
		if fields[3] != "-" {
			w, _ := hex.DecodeString(fields[3])
			want = string(w)
		}
		tm := time.Unix(unix, 0).In(loc)
		if got := string(AppendStrftime(nil, string(format), tm)); got != want {
			t.Errorf("%s %s strftime(%q) = %q, glibc %q", tm.Format(time.RFC3339), fields[1], format, got, want)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 1000 {
		t.Fatalf("only %d golden lines", n)
	}
}

func TestStrftimeAppends(t *testing.T) {
	tm := time.Date(2023, 11, 7, 5, 4, 3, 0, time.UTC)
	if got := string(AppendStrftime([]byte("x "), "%b %e %T", tm)); got != "x Nov  7 05:04:03" {
		t.Fatalf("got %q", got)
	}
	if got := AppendStrftime([]byte("keep"), strings.Repeat("%A", 20), tm); string(got) != "keep" {
		t.Fatalf("overlong result: got %q, want the input unchanged", got)
	}
}
