package photo

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif" // registers the GIF decoder: Intake decodes by content
	"image/jpeg"
	_ "image/png" // registers the PNG decoder
	"net/http"

	xdraw "golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // registers the WebP decoder

	"github.com/gdyouth/youthvoice/service"
	"github.com/gdyouth/youthvoice/service/question"
)

// Limits of one photo.
const (
	MaxBytes    = 10 << 20           // a file as uploaded (10 MiB)
	MaxPixels   = 40_000_000         // decoded width × height: bigger is refused before decoding
	MaxSide     = 1600               // the stored photo's longest side
	ThumbSide   = 480                // the thumbnail's longest side
	MaxPerPost  = question.MaxImages // photos per question or answer
	jpegQuality = 82
)

// Errors of the intake; each tells the user the typed text is kept and
// the photos must be chosen again (a page cannot keep a file input).
var (
	ErrNotImage = service.Invalid("image_type", "只能上传 JPEG、PNG、GIF 或 WebP 格式的图片"+retry, map[string]string{"images": "只能上传 JPEG、PNG、GIF 或 WebP 格式的图片"})
	ErrTooBig   = service.Invalid("image_too_large", fmt.Sprintf("每张图片不能超过 %d MiB", MaxBytes>>20)+retry, map[string]string{"images": fmt.Sprintf("每张图片不能超过 %d MiB", MaxBytes>>20)})
	ErrPixels   = service.Invalid("image_too_many_pixels", fmt.Sprintf("图片尺寸过大（不能超过 %d 万像素）", MaxPixels/10000)+retry, map[string]string{"images": "图片尺寸过大"})
	ErrBroken   = service.Invalid("image_broken", "图片已损坏，无法读取"+retry, map[string]string{"images": "图片已损坏，无法读取"})
	ErrTooMany  = service.Invalid("too_many_images", fmt.Sprintf("每条最多 %d 张图片", MaxPerPost)+retry, map[string]string{"images": fmt.Sprintf("每条最多 %d 张图片", MaxPerPost)})
)

const retry = "。已填写的文字已保留，请重新选择图片"

// Processed is a photo ready to store: re-encoded as JPEG, so nothing of
// the original file (EXIF with its GPS position, comments, trailing
// data) survives.
type Processed struct {
	JPEG          []byte
	Thumb         []byte
	Width, Height int
}

// Intake checks and re-encodes one uploaded file. The type is told by
// content, not by name; the dimensions are read from the header and
// refused past MaxPixels before anything is decoded (a decompression
// bomb); the EXIF orientation of a JPEG is applied, then the image is
// scaled to MaxSide and encoded afresh.
func Intake(data []byte) (Processed, error) {
	if len(data) == 0 {
		return Processed{}, ErrBroken
	}
	if len(data) > MaxBytes {
		return Processed{}, ErrTooBig
	}
	switch http.DetectContentType(data) {
	case "image/jpeg", "image/png", "image/gif", "image/webp":
	default:
		return Processed{}, ErrNotImage
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Processed{}, ErrBroken
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return Processed{}, ErrBroken
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return Processed{}, ErrPixels
	}
	img, _, err := image.Decode(bytes.NewReader(data)) // a GIF's first frame
	if err != nil {
		return Processed{}, ErrBroken
	}
	// Scaled first, turned after: turning the (at most 1600 px) copy is
	// cheap, turning a 40-megapixel original is not.
	full := orient(fit(img, MaxSide), exifOrientation(data))
	out := Processed{Width: full.Bounds().Dx(), Height: full.Bounds().Dy()}
	if out.JPEG, err = encode(full); err != nil {
		return Processed{}, err
	}
	if out.Thumb, err = encode(fit(full, ThumbSide)); err != nil {
		return Processed{}, err
	}
	return out, nil
}

func encode(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality}); err != nil {
		return nil, fmt.Errorf("图片编码失败: %w", err)
	}
	return buf.Bytes(), nil
}

// fit scales img down so that its longest side is at most side, onto an
// opaque white canvas (JPEG has no transparency: a PNG screenshot's
// transparent parts would turn black).
func fit(img image.Image, side int) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > side || h > side {
		if w >= h {
			h = max(1, h*side/w)
			w = side
		} else {
			w = max(1, w*side/h)
			h = side
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), &image.Uniform{C: color.White}, image.Point{}, draw.Src)
	if w == b.Dx() && h == b.Dy() {
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Over)
		return dst
	}
	xdraw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Over, nil)
	return dst
}

// exifOrientation is the Orientation tag (1–8) of a JPEG's EXIF, 1 when
// there is none or it cannot be read.
func exifOrientation(data []byte) int {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return 1
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return 1
		}
		marker := data[i+1]
		if marker == 0xDA || marker == 0xD9 { // image data: no EXIF before it
			return 1
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) > 6 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	off := int(bo.Uint32(t[4:]))
	if off < 8 || off+2 > len(t) {
		return 1
	}
	count := int(bo.Uint16(t[off:]))
	for k := 0; k < count; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 {
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// orient turns img upright by EXIF orientation o (what the camera
// recorded instead of rotating the pixels).
func orient(img *image.RGBA, o int) *image.RGBA {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	swap := o >= 5
	dw, dh := w, h
	if swap {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			dst.SetRGBA(dx, dy, img.RGBAAt(b.Min.X+x, b.Min.Y+y))
		}
	}
	return dst
}
