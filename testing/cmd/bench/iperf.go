package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// measurement is one iperf3 run through the tunnel, alice -> bob (or
// moon -> sun host-to-host).
type measurement struct {
	name    string // "tcp", "tcp-p2", "udp64"
	udp     bool
	streams int
}

var (
	mTCP   = measurement{name: "tcp", streams: 1}
	mTCP2  = measurement{name: "tcp-p2", streams: 2}
	mUDP64 = measurement{name: "udp64", udp: true, streams: 1}
)

// result of a measurement.
type result struct {
	gbps float64 // TCP: received bit/s / 1e9
	kpps float64 // UDP: datagrams received per second / 1000
	lost float64 // UDP: fraction lost
	sent float64 // UDP: datagrams sent per second / 1000
	retr int     // TCP: retransmits
	cpu  float64 // CPU time of both daemons / wall time (cores)
	wall time.Duration
}

const iperfPort = "5201"

// iperf runs m: an iperf3 server for one test (on bob, or on sun
// host-to-host), the client (on alice, or moon) for b.opts.duration (plus
// one omitted second of TCP slow start).
func (b *bench) iperf(ctx context.Context, m measurement, tag string, t topology) (result, error) {
	alice, bob := b.hosts[t.client], b.hosts[t.server]
	sctx, scancel := context.WithCancel(ctx)
	defer scancel()
	srv := bob.command(sctx, nil, "iperf3", "-s", "-1", "-p", iperfPort)
	if err := srv.Start(); err != nil {
		return result{}, err
	}
	defer srv.Wait()
	// wait until it listens
	for i := 0; ; i++ {
		out, _ := bob.output(ctx, 5*time.Second, nil, "ss", "-Hltn", "sport = :"+iperfPort)
		if strings.TrimSpace(out) != "" {
			break
		}
		if i == 50 {
			return result{}, errors.New("iperf3 server does not listen")
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return result{}, err
		}
	}
	secs := strconv.Itoa(int(b.opts.duration.Seconds()))
	args := []string{"iperf3", "-c", t.dst, "-p", iperfPort, "-t", secs, "-J", "--connect-timeout", "3000"}
	if m.udp {
		// 64-byte payloads as fast as the sender goes; the server's
		// count of datagrams received is the figure. 4 MB socket
		// buffers keep the receiver's scheduling hiccups (2 cores for
		// everything) from counting as losses.
		args = append(args, "-u", "-l", "64", "-b", "0", "-w", "4M")
	} else {
		args = append(args, "-O", "1", "-P", strconv.Itoa(m.streams))
	}
	moonPid, sunPid := daemonPid(b.hosts["moon"]), daemonPid(b.hosts["sun"])
	cpu0 := cpuTime(moonPid) + cpuTime(sunPid)
	t0 := time.Now()
	out, err := alice.output(ctx, b.opts.duration+30*time.Second, nil, args...)
	wall := time.Since(t0)
	cpu := cpuTime(moonPid) + cpuTime(sunPid) - cpu0
	os.WriteFile(filepath.Join(b.results, tag+"."+m.name+".json"), []byte(out), 0o644)
	r, perr := parseIperf(out, m.udp)
	if err != nil || perr != nil {
		return result{}, errors.Join(err, perr)
	}
	r.wall = wall
	r.cpu = cpu.Seconds() / wall.Seconds()
	return r, nil
}

// iperfJSON is the part of iperf3's -J output the bench reads.
type iperfJSON struct {
	Error string `json:"error"`
	End   struct {
		SumSent struct {
			Retransmits int `json:"retransmits"`
		} `json:"sum_sent"`
		SumReceived struct {
			Seconds       float64 `json:"seconds"`
			BitsPerSecond float64 `json:"bits_per_second"`
		} `json:"sum_received"`
		Sum struct {
			Seconds     float64 `json:"seconds"`
			Packets     int64   `json:"packets"`
			LostPackets int64   `json:"lost_packets"`
		} `json:"sum"`
	} `json:"end"`
}

func parseIperf(out string, udp bool) (result, error) {
	var j iperfJSON
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		return result{}, fmt.Errorf("iperf3 output: %w", err)
	}
	if j.Error != "" {
		return result{}, fmt.Errorf("iperf3: %s", j.Error)
	}
	if !udp {
		if j.End.SumReceived.BitsPerSecond <= 0 {
			return result{}, errors.New("iperf3: nothing received")
		}
		return result{gbps: j.End.SumReceived.BitsPerSecond / 1e9, retr: j.End.SumSent.Retransmits}, nil
	}
	// the client's packets sent and the server's count of lost ones
	s := j.End.Sum
	if s.Seconds <= 0 || s.Packets <= 0 {
		return result{}, errors.New("iperf3: no UDP datagrams")
	}
	got := s.Packets - s.LostPackets
	if got <= 0 {
		return result{}, errors.New("iperf3: no UDP datagram arrived")
	}
	return result{kpps: float64(got) / s.Seconds / 1000, sent: float64(s.Packets) / s.Seconds / 1000,
		lost: float64(s.LostPackets) / float64(s.Packets)}, nil
}
