package service_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/goswan/goswan/internal/control"
	"github.com/goswan/goswan/internal/control/service"
)

// daemon stands for the IKE core that implements control.Backend.
type daemon struct{ control.Backend }

// Example shows how charon's main wires the service: claim the pid files
// before binding the IKE ports, serve the control socket once the
// configuration is loaded, remove the pid files on the way out.
func Example() {
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "00[DMN] "+format+"\n", args...) }
	run := func() int {
		svc, err := service.Start(service.DefaultConfig(logf))
		var running *service.RunningError
		if errors.As(err, &running) {
			logf("%v", err) // "charon already running ('/var/run/charon.pid' exists, pid 1234)"
			return 1
		}
		if err != nil {
			logf("%v", err)
			return 1
		}
		defer svc.Close()

		started := time.Now()
		_ = service.DaemonInfo(started) // for Status.Daemon in statusall
		core := &daemon{}               // load ipsec.conf, secrets; bind 500/4500; ...
		if err := svc.Serve(context.Background(), core); err != nil {
			logf("%v", err)
			return 1
		}
		return 0
	}
	_ = run // main: os.Exit(run())
	// Output:
}
