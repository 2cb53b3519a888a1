// Package phototest makes the pictures the photo tests of several
// packages upload: a phone's JPEG with EXIF (GPS, orientation), and a
// decompression bomb.
package phototest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
)

// GPSMarker is text inside the EXIF of JPEGWithEXIF; a stored photo
// must not contain it.
const GPSMarker = "GPS-23.1291N-113.2644E"

// JPEG is a w×h photo: left half red, right half blue.
func JPEG(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{R: 220, G: 30, B: 30, A: 255}
			if x >= w/2 {
				c = color.RGBA{R: 30, G: 60, B: 220, A: 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// JPEGWithEXIF is JPEG(w, h) carrying an EXIF APP1 segment, as a phone's
// photo does: Orientation (0x0112) = orientation, and a GPS IFD pointer
// (0x8825) to an IFD whose latitude reference names GPSMarker.
func JPEGWithEXIF(w, h int, orientation uint16) []byte {
	plain := JPEG(w, h)
	le := binary.LittleEndian
	var t bytes.Buffer
	t.WriteString("II")
	_ = binary.Write(&t, le, uint16(42))
	_ = binary.Write(&t, le, uint32(8)) // IFD0 at 8
	// IFD0: two entries.
	_ = binary.Write(&t, le, uint16(2))
	entry := func(tag, typ uint16, count, value uint32) {
		_ = binary.Write(&t, le, tag)
		_ = binary.Write(&t, le, typ)
		_ = binary.Write(&t, le, count)
		_ = binary.Write(&t, le, value)
	}
	entry(0x0112, 3, 1, uint32(orientation)) // SHORT, left-justified
	gpsIFD := uint32(8 + 2 + 2*12 + 4)
	entry(0x8825, 4, 1, gpsIFD)
	_ = binary.Write(&t, le, uint32(0)) // no next IFD
	// GPS IFD: one ASCII entry pointing at the marker text.
	_ = binary.Write(&t, le, uint16(1))
	text := uint32(gpsIFD + 2 + 12 + 4)
	entry(0x0001, 2, uint32(len(GPSMarker)+1), text)
	_ = binary.Write(&t, le, uint32(0))
	t.WriteString(GPSMarker)
	t.WriteByte(0)

	seg := append([]byte("Exif\x00\x00"), t.Bytes()...)
	var out bytes.Buffer
	out.Write(plain[:2]) // SOI
	out.Write([]byte{0xFF, 0xE1})
	_ = binary.Write(&out, binary.BigEndian, uint16(len(seg)+2))
	out.Write(seg)
	out.Write(plain[2:])
	return out.Bytes()
}

// PNG is a small w×h PNG with a transparent half.
func PNG(w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w/2; x++ {
			img.SetNRGBA(x, y, color.NRGBA{G: 160, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// Bomb is a valid PNG header claiming w×h pixels (a decompression bomb
// announces a huge image in a small file); its data is a small image's.
func Bomb(w, h uint32) []byte {
	b := PNG(8, 8)
	// IHDR's data starts at 16: width, height; its CRC covers the type
	// and data (bytes 12 to 29).
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}
