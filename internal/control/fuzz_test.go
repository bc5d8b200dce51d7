package control

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// FuzzReadRequest: whatever a client sends, the server answers with a
// request or an error result, never panics, and accepts only valid
// commands of this protocol version.
func FuzzReadRequest(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"cmd":"up","name":"home"}` + "\n",
		`{"v":1,"cmd":"down","name":"home{*}","verbosity":-1}` + "\n",
		`{"v":1,"cmd":"leases","pool":"p","address":"10.3.0.1","text":true}` + "\n",
		`{"v":1,"cmd":"list","sections":["all"],"utc":true}` + "\n",
		`{"v":2,"cmd":"ping"}` + "\n", "\n", "{", `{"v":1,"cmd":"ping"} 1` + "\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, res := readRequest(bufio.NewReaderSize(bytes.NewReader(data), 4096))
		if (req == nil) == (res == nil) {
			t.Fatalf("request %v and result %v", req, res)
		}
		if req != nil && (req.V != ProtocolVersion || !validCommand(req.Cmd)) {
			t.Fatalf("accepted %+v", req)
		}
		if res != nil && (res.OK || res.Code == "" || res.Error == "") {
			t.Fatalf("bad error result %+v", res)
		}
	})
}

// FuzzParseTarget: specifiers round-trip through String.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"home", "home[1]", "home{2}", "home[*]", "home{}", "a[b]", "[", "}{", "x[0]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		tg, ok := ParseTarget(spec)
		if !ok {
			return
		}
		if tg.ID != 0 && tg.Name != "" {
			t.Fatalf("%q: both ID and name: %+v", spec, tg)
		}
		back, ok := ParseTarget(tg.String())
		if !ok || back != tg {
			// A name that itself ends in ] or } cannot round-trip.
			if !strings.HasSuffix(tg.Name, "]") && !strings.HasSuffix(tg.Name, "}") && tg.Name != "" {
				t.Fatalf("%q -> %+v -> %q -> %+v, %v", spec, tg, tg.String(), back, ok)
			}
		}
	})
}
