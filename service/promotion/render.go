package promotion

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"strings"
	"unicode/utf8"

	qrcode "github.com/yeqown/go-qrcode/v2"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"github.com/gdyouth/youthvoice/model"
)

// QRSize is the side of the plain QR code PNG, in pixels at most (whole
// pixels per module, so it is a little less).
const QRSize = 600

// quietZone is the blank margin around a code, in modules (the standard's
// minimum).
const quietZone = 4

// matrix takes the bitmap of a code from the encoder.
type matrix struct{ bits [][]bool }

func (m *matrix) Write(mat qrcode.Matrix) error { m.bits = mat.Bitmap(); return nil }
func (m *matrix) Close() error                  { return nil }

// modules encodes text (error correction level Q: a quarter of the code
// may be soiled or torn, as printed posters are).
func modules(text string) ([][]bool, error) {
	qr, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionQuart))
	if err != nil {
		return nil, err
	}
	var m matrix
	if err := qr.Save(&m); err != nil {
		return nil, err
	}
	if len(m.bits) == 0 {
		return nil, errors.New("二维码编码结果为空")
	}
	return m.bits, nil
}

// drawQR draws the code of text into dst at (x, y), side at most size
// pixels, quiet zone included; it returns the side drawn.
func drawQR(dst draw.Image, x, y, size int, text string) (int, error) {
	bits, err := modules(text)
	if err != nil {
		return 0, err
	}
	n := len(bits) + 2*quietZone
	scale := size / n
	if scale < 1 {
		return 0, fmt.Errorf("二维码 %d 像素放不下 %d 个模块", size, n)
	}
	side := scale * n
	draw.Draw(dst, image.Rect(x, y, x+side, y+side), image.White, image.Point{}, draw.Src)
	for r, row := range bits {
		for c, on := range row {
			if !on {
				continue
			}
			px, py := x+(c+quietZone)*scale, y+(r+quietZone)*scale
			draw.Draw(dst, image.Rect(px, py, px+scale, py+scale), image.Black, image.Point{}, draw.Src)
		}
	}
	return side, nil
}

// RenderQR draws the code of text as a PNG at most size pixels wide.
func RenderQR(text string, size int) ([]byte, error) {
	bits, err := modules(text)
	if err != nil {
		return nil, err
	}
	n := len(bits) + 2*quietZone
	side := size / n * n
	img := image.NewGray(image.Rect(0, 0, side, side))
	if _, err := drawQR(img, 0, 0, side, text); err != nil {
		return nil, err
	}
	return encodePNG(img)
}

func encodePNG(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ---- the poster ----------------------------------------------------------------

// posterFont is the parsed CJK font and where it came from.
type posterFont struct {
	path string
	font *sfnt.Font
}

// loadFont parses the configured font, or the first default that
// exists. Nothing is kept: a CJK font is 5–20 MB that would stay on the
// heap for the few posters ever drawn (166 schools), and a font
// installed later needs no restart.
func (s *Service) loadFont() (*posterFont, error) {
	paths := DefaultFonts
	if s.opts.FontPath != "" {
		paths = []string{s.opts.FontPath}
	}
	var errs []error
	for _, p := range paths {
		f, err := parseFont(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		return &posterFont{path: p, font: f}, nil
	}
	return nil, errors.Join(errs...)
}

// parseFont reads a .ttf, .otf or .ttc (picking the Simplified Chinese
// face of a collection) that has the glyphs of Chinese.
func parseFont(path string) (*sfnt.Font, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("字体 %s: %w", path, err)
	}
	col, err := opentype.ParseCollection(b)
	if err != nil {
		return nil, fmt.Errorf("字体 %s 无法解析: %w", path, err)
	}
	var buf sfnt.Buffer
	var chosen *sfnt.Font
	for i := range col.NumFonts() {
		f, err := col.Font(i)
		if err != nil {
			continue
		}
		if g, err := f.GlyphIndex(&buf, '青'); err != nil || g == 0 {
			continue
		}
		if chosen == nil {
			chosen = f
		}
		name, _ := f.Name(&buf, sfnt.NameIDFamily)
		if strings.HasSuffix(name, " SC") || strings.Contains(name, "WenQuanYi") {
			chosen = f
			break
		}
	}
	if chosen == nil {
		return nil, fmt.Errorf("字体 %s 不含中文字形", path)
	}
	return chosen, nil
}

// Poster geometry: A5 at 150 dpi.
const (
	PosterWidth  = 1240
	PosterHeight = 1754
)

// ActivationSteps are the six steps of the notice, as the poster lists
// them (the welcome message says the same, config/menu.json).
var ActivationSteps = []string{
	"微信扫描上方二维码，关注「广东青年之声」服务号",
	"点底部菜单「青年之声」→「主页」",
	"首次使用进入激活页，入口选择「高校」",
	"新用户设置 6 位以上字母或数字组成的账号和密码，老用户直接用原账号登录",
	"确认学校（扫本校二维码关注的已预先选好），点右上角「激活」",
	"激活成功，即可向本校团学干部提问、预约青年之家服务",
}

var (
	posterRed   = color.RGBA{0xC8, 0x10, 0x2E, 0xFF}
	posterInk   = color.RGBA{0x22, 0x22, 0x22, 0xFF}
	posterMuted = color.RGBA{0x66, 0x66, 0x66, 0xFF}
)

type painter struct {
	img  *image.RGBA
	font *sfnt.Font
}

func (p painter) face(size float64) (font.Face, error) {
	return opentype.NewFace(p.font, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
}

// text draws s with its baseline at y: centred when x < 0.
func (p painter) text(s string, size float64, x, y int, c color.Color, bold bool) error {
	face, err := p.face(size)
	if err != nil {
		return err
	}
	defer face.Close()
	d := font.Drawer{Dst: p.img, Src: image.NewUniform(c), Face: face}
	if x < 0 {
		x = (PosterWidth - d.MeasureString(s).Round()) / 2
	}
	offsets := []int{0}
	if bold { // a heavier stroke from the one face
		offsets = []int{0, 1, 2}
	}
	for _, dx := range offsets {
		d.Dot = fixed.P(x+dx, y)
		d.DrawString(s)
	}
	return nil
}

// wrap breaks s into lines no wider than width at size.
func (p painter) wrap(s string, size float64, width int) ([]string, error) {
	face, err := p.face(size)
	if err != nil {
		return nil, err
	}
	defer face.Close()
	var lines []string
	line := ""
	for _, r := range s {
		next := line + string(r)
		if font.MeasureString(face, next).Round() > width && line != "" {
			lines = append(lines, line)
			line = strings.TrimLeft(string(r), " ")
			continue
		}
		line = next
	}
	if utf8.RuneCountInString(line) > 0 {
		lines = append(lines, line)
	}
	return lines, nil
}

// renderPoster draws the poster of uni with the code of url.
func renderPoster(f *posterFont, uni model.University, url string) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, PosterWidth, PosterHeight))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	p := painter{img: img, font: f.font}
	// The red band: 青年之声 and whose account it is.
	draw.Draw(img, image.Rect(0, 0, PosterWidth, 300), image.NewUniform(posterRed), image.Point{}, draw.Src)
	steps := []func() error{
		func() error { return p.text("青年之声", 120, -1, 170, color.White, true) },
		func() error {
			return p.text("广东青年之声 · 共青团广东省委员会学校部", 36, -1, 250, color.White, false)
		},
		func() error { return p.text(uni.Name, nameSize(uni.Name), -1, 410, posterInk, true) },
		func() error {
			return p.text("扫码关注 · 激活账号 · 向本校团学干部提问", 36, -1, 475, posterMuted, false)
		},
	}
	for _, fn := range steps {
		if err := fn(); err != nil {
			return nil, err
		}
	}
	// The code, centred in a qrSide box, whole pixels per module.
	const qrSide = 620
	bits, err := modules(url)
	if err != nil {
		return nil, err
	}
	n := len(bits) + 2*quietZone
	side := qrSide / n * n
	if _, err := drawQR(img, (PosterWidth-side)/2, 510+(qrSide-side)/2, side, url); err != nil {
		return nil, err
	}
	if err := p.text("学校标识码 "+uni.Code, 34, -1, 1175, posterMuted, false); err != nil {
		return nil, err
	}
	if err := p.text("激活六步", 48, 110, 1260, posterRed, true); err != nil {
		return nil, err
	}
	y := 1325
	for i, s := range ActivationSteps {
		lines, err := p.wrap(s, 32, PosterWidth-220-60)
		if err != nil {
			return nil, err
		}
		if err := p.text(string(rune('①'+i)), 32, 110, y, posterRed, false); err != nil {
			return nil, err
		}
		for _, l := range lines {
			if err := p.text(l, 32, 160, y, posterInk, false); err != nil {
				return nil, err
			}
			y += 46
		}
		y += 8
	}
	if err := p.text("共青团广东省委员会学校部", 28, -1, PosterHeight-50, posterMuted, false); err != nil {
		return nil, err
	}
	return encodePNG(img)
}

// nameSize fits a long school name on one line.
func nameSize(name string) float64 {
	n := utf8.RuneCountInString(name)
	switch {
	case n <= 10:
		return 80
	case n <= 14:
		return 64
	default:
		return 1000 / float64(n)
	}
}
