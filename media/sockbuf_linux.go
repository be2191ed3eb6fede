package media

import (
	"net"
	"syscall"
)

// growSocketBuffers asks for size bytes of kernel buffer each way on the
// shared media socket. One socket carries every peer's packets; with the
// default (~208 KiB) a burst from a few hundred callers overflows the
// receive queue and the kernel drops packets, ICE checks included, before
// pion reads them. SO_RCVBUF is capped by net.core.rmem_max; as root (or
// with CAP_NET_ADMIN) SO_*BUFFORCE goes past it. It returns the receive
// buffer the kernel granted (Linux reports twice the usable size).
func growSocketBuffers(c net.PacketConn, size int) int {
	uc, ok := c.(*net.UDPConn)
	if !ok {
		return 0
	}
	_ = uc.SetReadBuffer(size)
	_ = uc.SetWriteBuffer(size)
	raw, err := uc.SyscallConn()
	if err != nil {
		return 0
	}
	got := 0
	_ = raw.Control(func(fd uintptr) {
		got, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
		if got < size {
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, size)
			_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUFFORCE, size)
			got, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
		}
	})
	return got
}
