package daemon

import (
	"time"

	"github.com/goswan/goswan/internal/config"
	"github.com/goswan/goswan/internal/ike/sa"
)

// coreSettings reads the charon.* options of strongswan.conf the IKE core
// uses, with charon 5.9.8's defaults.
func coreSettings(s *config.Settings) sa.Settings {
	st := sa.DefaultSettings()
	if s == nil {
		return st
	}
	secs := func(key string, def time.Duration) time.Duration {
		f := s.GetFloat(key, def.Seconds())
		return time.Duration(f * float64(time.Second))
	}
	st.RetransmitTimeout = secs("charon.retransmit_timeout", st.RetransmitTimeout)
	st.RetransmitBase = s.GetFloat("charon.retransmit_base", st.RetransmitBase)
	st.RetransmitTries = s.GetInt("charon.retransmit_tries", st.RetransmitTries)
	st.RetransmitLimit = secs("charon.retransmit_limit", st.RetransmitLimit)
	st.RetransmitJitter = s.GetInt("charon.retransmit_jitter", st.RetransmitJitter)
	st.HalfOpenTimeout = s.GetDuration("charon.half_open_timeout", st.HalfOpenTimeout)
	st.CookieThreshold = s.GetInt("charon.cookie_threshold", st.CookieThreshold)
	st.CookieThresholdIP = s.GetInt("charon.cookie_threshold_ip", st.CookieThresholdIP)
	st.BlockThreshold = s.GetInt("charon.block_threshold", st.BlockThreshold)
	st.InitLimitHalfOpen = s.GetInt("charon.init_limit_half_open", st.InitLimitHalfOpen)
	st.FragmentSize = s.GetInt("charon.fragment_size", st.FragmentSize)
	st.KeepAlive = s.GetDuration("charon.keep_alive", st.KeepAlive)
	st.MakeBeforeBreak = s.GetBool("charon.make_before_break", st.MakeBeforeBreak)
	st.ReuseIKESA = s.GetBool("charon.reuse_ikesa", st.ReuseIKESA)
	st.SignatureAuth = s.GetBool("charon.signature_authentication", st.SignatureAuth)
	st.SendVendorID = s.GetBool("charon.send_vendor_id", st.SendVendorID)
	st.PreferConfigured = s.GetBool("charon.prefer_configured_proposals", st.PreferConfigured)
	st.AcceptPrivateAlgs = s.GetBool("charon.accept_private_algs", st.AcceptPrivateAlgs)
	st.DeleteRekeyedDelay = s.GetDuration("charon.delete_rekeyed_delay", st.DeleteRekeyedDelay)
	st.InstallRoutes = s.GetBool("charon.install_routes", st.InstallRoutes)
	st.RouteTable = uint32(s.GetInt("charon.routing_table", int(st.RouteTable)))
	st.ReplayWindow = uint32(s.GetInt("charon.replay_window", int(st.ReplayWindow)))
	st.RSAPSS = s.GetBool("charon.rsa_pss", st.RSAPSS)
	return st
}
