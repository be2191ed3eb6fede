//go:build !linux

package media

import "net"

// growSocketBuffers asks for larger socket buffers (see the Linux version).
func growSocketBuffers(c net.PacketConn, size int) int {
	if uc, ok := c.(*net.UDPConn); ok {
		_ = uc.SetReadBuffer(size)
		_ = uc.SetWriteBuffer(size)
	}
	return 0
}
