//go:build !linux

package farp

import (
	"errors"
	"net"

	"github.com/goswan/goswan/internal/log"
)

type arpSocket struct{}

type source struct {
	ifindex  int
	addr     net.HardwareAddr
	outgoing bool
}

func openARPSocket(*log.Logger) (*arpSocket, error) {
	return nil, errors.New("the ARP proxy needs Linux packet sockets")
}

func (*arpSocket) recv([]byte) (int, source, error)              { return 0, source{}, errors.New("closed") }
func (*arpSocket) ifaceMAC(int) (net.HardwareAddr, string, bool) { return nil, "", false }
func (*arpSocket) send([]byte, int, net.HardwareAddr) error      { return errors.New("closed") }
func (*arpSocket) isClosed() bool                                { return true }
func (*arpSocket) close() error                                  { return nil }
