package rtcclient

// VP8FrameStart parses one RTP packet carrying VP8 (RFC 7741): start is
// true when the packet begins a frame (S=1, partition 0), and keyframe
// when that frame is a keyframe. Header extensions, CSRCs and the VP8
// descriptor's optional fields are skipped; a short or malformed packet
// is neither.
func VP8FrameStart(pkt []byte) (start, keyframe bool) {
	n := len(pkt)
	if n < 12 {
		return false, false
	}
	hdr := 12 + 4*int(pkt[0]&0x0f)
	if pkt[0]&0x10 != 0 && n >= hdr+4 { // header extension
		hdr += 4 + 4*(int(pkt[hdr+2])<<8|int(pkt[hdr+3]))
	}
	if hdr >= n {
		return false, false
	}
	desc := pkt[hdr]
	off := hdr + 1
	if desc&0x80 != 0 && off < n { // X: extended control bits
		x := pkt[off]
		off++
		if x&0x80 != 0 { // I: picture ID, 7 or 15 bits
			if off < n && pkt[off]&0x80 != 0 {
				off += 2
			} else {
				off++
			}
		}
		if x&0x40 != 0 { // L: TL0PICIDX
			off++
		}
		if x&0x30 != 0 { // T or K: TID/KEYIDX
			off++
		}
	}
	if desc&0x10 == 0 || desc&0x07 != 0 || off >= n { // S=1, PID=0
		return false, false
	}
	return true, IsVP8Keyframe(pkt[off:])
}
