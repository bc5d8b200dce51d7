package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// hsResult is the outcome of the handshake benchmark for one daemon.
type hsResult struct {
	im       impl
	n        int           // IKE_SAs established
	elapsed  time.Duration // first "initiating IKE_SA" to last "established" in moon's log
	fromLog  bool          // elapsed from the log (else wall clock around reload..all up)
	rssBase  [2]int        // KiB, moon and sun, before
	rssAfter [2]int        // KiB, moon and sun, with n IKE_SAs
	err      error
}

func (r hsResult) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.n) / r.elapsed.Seconds()
}

// perSA is the RSS growth per IKE_SA (with its CHILD_SA) of gateway i
// (0 moon, 1 sun), in KiB.
func (r hsResult) perSA(i int) float64 {
	if r.n == 0 || r.rssBase[i] == 0 || r.rssAfter[i] == 0 {
		return 0
	}
	return float64(r.rssAfter[i]-r.rssBase[i]) / float64(r.n)
}

// handshakes measures n concurrent IKE_SA setups from moon to sun: sun
// starts with conns hs1..hsN (auto=add), moon with none; then moon's
// ipsec.conf gets the same conns with auto=start and `ipsec reload`
// makes it initiate them all at once. The rate is n over the time from
// the first "initiating IKE_SA" to the last "IKE_SA ... established" in
// moon's log; memory is each charon's RSS before and with the n IKE_SAs.
func (b *bench) handshakes(ctx context.Context, im impl) hsResult {
	res := hsResult{im: im}
	var err error
	for attempt := 1; attempt <= 2; attempt++ {
		res, err = b.handshakesOnce(ctx, im)
		b.saveLogs("handshakes." + im.name)
		b.stopDaemons(ctx, im)
		if err == nil || ctx.Err() != nil {
			break
		}
		b.logf("%s handshakes: %v", im.name, err)
		if attempt == 1 {
			b.logf("retrying once")
		}
	}
	res.err = err
	return res
}

func (b *bench) handshakesOnce(ctx context.Context, im impl) (hsResult, error) {
	n := b.opts.handshakes
	res := hsResult{im: im}
	moon, sun := b.hosts["moon"], b.hosts["sun"]
	if err := b.configure(handshakeConf("moon", 0, "add"), handshakeConf("sun", n, "add")); err != nil {
		return res, err
	}
	if err := b.startDaemons(ctx, im, nil); err != nil {
		return res, err
	}
	// sun must have loaded all conns before moon initiates
	last := fmt.Sprintf("hs%d:", n)
	for deadline := time.Now().Add(30 * time.Second); ; {
		out, _ := b.ipsec(ctx, sun, im, 10*time.Second, "statusall")
		if strings.Contains(out, last) {
			break
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("sun: %s has not loaded conn hs%d", im.name, n)
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return res, err
		}
	}
	if err := sleep(ctx, time.Second); err != nil {
		return res, err
	}
	pids := [2]int{daemonPid(moon), daemonPid(sun)}
	for i, p := range pids {
		res.rssBase[i] = rssKiB(p)
	}
	if err := writeFile(filepath.Join(moon.dir, "ipsec.conf"), handshakeConf("moon", n, "start")); err != nil {
		return res, err
	}
	t0 := time.Now()
	if out, err := b.ipsec(ctx, moon, im, 30*time.Second, "reload"); err != nil {
		return res, fmt.Errorf("%w: %s", err, strings.TrimSpace(out))
	}
	up := 0
	for deadline := time.Now().Add(90 * time.Second); ; {
		out, _ := b.ipsec(ctx, moon, im, 10*time.Second, "status")
		up, _, _ = saCounts(out)
		if up >= n {
			break
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("moon: only %d of %d IKE_SAs up after 90 s", up, n)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return res, err
		}
	}
	wall := time.Since(t0)
	res.n = up
	if err := sleep(ctx, 2*time.Second); err != nil {
		return res, err
	}
	for i, p := range pids {
		res.rssAfter[i] = rssKiB(p)
	}
	if d, ok := logSpan(filepath.Join(moon.dir, "charon.log")); ok {
		res.elapsed, res.fromLog = d, true
	} else {
		res.elapsed = wall
	}
	return res, nil
}

var (
	logStampRE     = regexp.MustCompile(`^(\d+)\.(\d{3}) `)
	logInitiateRE  = regexp.MustCompile(`initiating IKE_SA hs\d+\[\d+\]`)
	logEstablishRE = regexp.MustCompile(`IKE_SA hs\d+\[\d+\] established between`)
)

// logSpan is the time from the first "initiating IKE_SA hsN" to the last
// "IKE_SA hsN[M] established" in a charon file log with time_format %s
// and time_add_ms.
func logSpan(path string) (time.Duration, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	var first, last time.Time
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		l := sc.Text()
		m := logStampRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		sec, _ := strconv.ParseInt(m[1], 10, 64)
		ms, _ := strconv.ParseInt(m[2], 10, 64)
		t := time.Unix(sec, ms*int64(time.Millisecond))
		switch {
		case first.IsZero() && logInitiateRE.MatchString(l):
			first = t
		case logEstablishRE.MatchString(l):
			last = t
		}
	}
	if first.IsZero() || last.IsZero() || !last.After(first) {
		return 0, false
	}
	return last.Sub(first), true
}
