package photo_test

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"testing"

	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/photo"
	"github.com/gdyouth/youthvoice/service/photo/phototest"
)

// hasEXIF reports whether a JPEG has an APP1 (EXIF) segment.
func hasEXIF(b []byte) bool {
	return bytes.Contains(b, []byte("Exif\x00\x00")) || bytes.Contains(b, []byte{0xFF, 0xE1})
}

func TestIntakeStripsEXIFAndTurnsUpright(t *testing.T) {
	in := phototest.JPEGWithEXIF(400, 200, 6) // taken sideways: 90° clockwise to view
	if !hasEXIF(in) || !bytes.Contains(in, []byte(phototest.GPSMarker)) {
		t.Fatal("the fixture has no EXIF")
	}
	p, err := photo.Intake(in)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"photo": p.JPEG, "thumbnail": p.Thumb} {
		if hasEXIF(b) || bytes.Contains(b, []byte(phototest.GPSMarker)) {
			t.Fatalf("the stored %s keeps the EXIF", name)
		}
	}
	img, err := jpeg.Decode(bytes.NewReader(p.JPEG))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 200 || b.Dy() != 400 || p.Width != 200 || p.Height != 400 {
		t.Fatalf("orientation 6 not applied: %v (%d×%d)", b, p.Width, p.Height)
	}
	// Turned clockwise: the red left half is now on top.
	r, _, bl, _ := img.At(100, 20).RGBA()
	if r < bl {
		t.Fatalf("top is not red after turning: r=%d b=%d", r>>8, bl>>8)
	}
}

func TestIntakeBoundsSize(t *testing.T) {
	p, err := photo.Intake(phototest.JPEG(3200, 1000))
	if err != nil {
		t.Fatal(err)
	}
	if p.Width != photo.MaxSide || p.Height != 500 {
		t.Fatalf("scaled to %d×%d", p.Width, p.Height)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(p.Thumb))
	if err != nil || cfg.Width != photo.ThumbSide {
		t.Fatalf("thumbnail %d wide: %v", cfg.Width, err)
	}
	// A PNG screenshot becomes a JPEG too, its transparency white.
	p, err = photo.Intake(phototest.PNG(64, 32))
	if err != nil {
		t.Fatal(err)
	}
	img, _ := jpeg.Decode(bytes.NewReader(p.JPEG))
	if r, g, b, _ := img.At(60, 10).RGBA(); r>>8 < 240 || g>>8 < 240 || b>>8 < 240 {
		t.Fatalf("transparent part is not white: %d %d %d", r>>8, g>>8, b>>8)
	}
}

func TestIntakeRefuses(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		code string
	}{
		{"empty", nil, "image_broken"},
		{"text", []byte("这不是图片，只是文字"), "image_type"},
		{"pdf", []byte("%PDF-1.4\n%âãÏÓ\n1 0 obj"), "image_type"},
		{"html disguised", []byte("<html><script>alert(1)</script>"), "image_type"},
		{"truncated jpeg", phototest.JPEG(100, 100)[:200], "image_broken"},
		{"bomb", phototest.Bomb(50000, 50000), "image_too_many_pixels"},
		{"too big", append(phototest.JPEG(10, 10), make([]byte, photo.MaxBytes)...), "image_too_large"},
	} {
		_, err := photo.Intake(c.data)
		var se *service.Error
		if !errors.As(err, &se) || se.Code != c.code || !errors.Is(err, service.ErrInvalid) {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
			continue
		}
		if !bytes.ContainsRune([]byte(se.Message), '图') {
			t.Errorf("%s: message %q is not a Chinese one about the picture", c.name, se.Message)
		}
	}
	// The bomb's header is read, not its pixels.
	if _, _, err := image.DecodeConfig(bytes.NewReader(phototest.Bomb(50000, 50000))); err != nil {
		t.Fatalf("the bomb fixture's header does not parse: %v", err)
	}
}

// FuzzIntake: whatever bytes come in, the intake answers an error or a
// JPEG, never panics.
func FuzzIntake(f *testing.F) {
	f.Add(phototest.JPEG(16, 16))
	f.Add(phototest.JPEGWithEXIF(16, 8, 8))
	f.Add(phototest.PNG(8, 8))
	f.Add(phototest.Bomb(1<<20, 1<<20))
	f.Add([]byte("GIF89a\x01\x00\x01\x00"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := photo.Intake(data)
		if err != nil {
			return
		}
		if _, err := jpeg.DecodeConfig(bytes.NewReader(p.JPEG)); err != nil {
			t.Fatalf("accepted, but the output is no JPEG: %v", err)
		}
	})
}
