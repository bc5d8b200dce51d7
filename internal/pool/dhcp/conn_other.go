//go:build !linux

package dhcp

import (
	"errors"

	"github.com/goswan/goswan/internal/log"
)

func openConn(settings, *log.Logger) (conn, error) {
	return nil, errors.New("the DHCP provider needs Linux packet sockets")
}
