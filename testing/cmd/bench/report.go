package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// writeReport prints the tables: throughput per implementation and
// cipher with the ratio of ours to strongSwan's, handshakes and memory,
// the CPU profile's top.
func (b *bench) writeReport(w io.Writer, rows []*row, hs []hsResult, top, load0, load1 string, took time.Duration) {
	fmt.Fprintf(w, "goswan vs strongSwan 5.9.8 (kernel-libipsec), both ends each; net-to-net alice -> moon == sun -> bob, host-to-host moon == sun\n")
	fmt.Fprintf(w, "iperf3 %s per figure, PSK, IKE %s; %d cores; load average %s before, %s after; %s\n\n",
		b.opts.duration, strings.TrimSuffix(ikeProposal, "!"), numCPU(), load0, load1, took.Round(time.Second))

	ssRow := func(c cipher, t topology) *row {
		for _, r := range rows {
			if r.im.name == "strongswan" && r.c == c && r.topology() == t && !r.encap && !r.profile {
				return r
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "implementation\tcipher\ttopology\tESP\tTCP Gbit/s\tTCP -P2 Gbit/s\tUDP-64 kpps (sent)\tdaemon cores (TCP)\tours/strongSwan TCP\tUDP-64\t")
	for _, r := range rows {
		name := r.im.name
		if r.variant != "" {
			name += " " + r.variant
		}
		if r.profile {
			name += " (profiled)"
		}
		esp := "ESP"
		if r.encap || r.im.name == "strongswan" {
			esp = "ESP-in-UDP"
		}
		var tcpRatio, udpRatio string
		if s := ssRow(r.c, r.topology()); s != nil && r.im.name != "strongswan" {
			tcpRatio = ratio(r.res, s.res, "tcp", func(x result) float64 { return x.gbps })
			udpRatio = ratio(r.res, s.res, "udp64", func(x result) float64 { return x.kpps })
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, r.c.name, r.topology().name, esp,
			cell(r, "tcp", func(x result) string { return fmt.Sprintf("%.2f", x.gbps) }),
			cell(r, "tcp-p2", func(x result) string { return fmt.Sprintf("%.2f", x.gbps) }),
			cell(r, "udp64", func(x result) string { return fmt.Sprintf("%.0f (of %.0f)", x.kpps, x.sent) }),
			cell(r, "tcp", func(x result) string { return fmt.Sprintf("%.2f", x.cpu) }),
			tcpRatio, udpRatio)
	}
	tw.Flush()
	var failed []string
	for _, r := range rows {
		for m, err := range r.errs {
			failed = append(failed, fmt.Sprintf("  %s %s: %v", r.tag(), m, err))
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "\nfailed:\n%s\n", strings.Join(failed, "\n"))
	}

	if len(hs) > 0 {
		fmt.Fprintf(w, "\nIKE_SA setup: %d IKE_SAs (PSK, X25519, one CHILD_SA each, no policies) initiated at once by moon\n", b.opts.handshakes)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "implementation\tIKE_SAs\tseconds\tsetups/s\tRSS MiB moon/sun before\twith the SAs\tKiB per IKE_SA moon/sun\t")
		var ourRate, ssRate float64
		for _, r := range hs {
			if r.err != nil {
				fmt.Fprintf(tw, "%s\tfailed: %v\t\t\t\t\t\t\n", r.im.name, r.err)
				continue
			}
			src := ""
			if !r.fromLog {
				src = " (wall clock)"
			}
			fmt.Fprintf(tw, "%s\t%d\t%.2f%s\t%.0f\t%.1f / %.1f\t%.1f / %.1f\t%.1f / %.1f\t\n", r.im.name, r.n,
				r.elapsed.Seconds(), src, r.rate(),
				mib(r.rssBase[0]), mib(r.rssBase[1]), mib(r.rssAfter[0]), mib(r.rssAfter[1]),
				r.perSA(0), r.perSA(1))
			switch r.im.name {
			case "goswan":
				ourRate = r.rate()
			case "strongswan":
				ssRate = r.rate()
			}
		}
		tw.Flush()
		if ourRate > 0 && ssRate > 0 {
			fmt.Fprintf(w, "setups/s ours/strongSwan: %.1fx\n", ourRate/ssRate)
		}
	}

	fmt.Fprintf(w, "\nCPU profile of our daemons (moon + sun) during the profiled TCP run:\n%s", top)
	fmt.Fprintf(w, "\nresults: %s\n", b.results)
}

func cell(r *row, m string, f func(result) string) string {
	if _, ok := r.errs[m]; ok {
		return "failed"
	}
	x, ok := r.res[m]
	if !ok {
		return "-"
	}
	return f(x)
}

func ratio(ours, ss map[string]result, m string, f func(result) float64) string {
	a, ok1 := ours[m]
	s, ok2 := ss[m]
	if !ok1 || !ok2 || f(s) <= 0 {
		return ""
	}
	return fmt.Sprintf("%.1fx", f(a)/f(s))
}

func mib(kib int) float64 { return float64(kib) / 1024 }
