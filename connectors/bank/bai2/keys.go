package bai2

import "encoding/binary"

// mix spreads the bits of h over the low bits the table indexes by.
func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33

	return h
}

// hashKey hashes a dedupe key, eight bytes at a time: a multiply-xorshift
// mix that is the same in every process, so a file reads the same keys
// whenever and wherever it is read.
func hashKey(b []byte) uint64 {
	h := uint64(len(b)) * 0x9e3779b97f4a7c15

	for len(b) >= 8 {
		h = (h ^ mix(binary.LittleEndian.Uint64(b))) * 0xbf58476d1ce4e5b9
		h ^= h >> 31
		b = b[8:]
	}

	var tail uint64
	for i, c := range b {
		tail |= uint64(c) << (8 * i)
	}

	return mix(h ^ mix(tail^0x94d049bb133111eb))
}
