package socket

import "unsafe"

// unsafePointer views the start of a control message buffer as a cmsg
// header; the buffers come from make with CmsgSpace bytes, so the header
// fits and is suitably aligned.
func unsafePointer(b []byte) unsafe.Pointer { return unsafe.Pointer(&b[0]) }
