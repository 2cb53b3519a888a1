package notice

import (
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"

	"github.com/gdyouth/youthvoice/service"
)

// attachmentTypes are the files a notice may carry, by extension: the
// type its content must have (WeChat's browser opens all of them).
var attachmentTypes = map[string]string{
	".pdf":  "application/pdf",
	".doc":  "application/msword",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xls":  "application/vnd.ms-excel",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
}

// oleStorage is the container of .doc and .xls: some writers (WPS, old
// Office) leave out what tells one from the other.
const oleStorage = "application/x-ole-storage"

// AttachmentKinds is what the pages tell the publisher they may attach.
const AttachmentKinds = "PDF、Word（.doc/.docx）、Excel（.xls/.xlsx）或图片（.png/.jpg）"

// checkAttachment cleans the file's name and finds its type from its
// content, which must agree with its extension; msg says what is wrong.
func checkAttachment(name string, data []byte) (clean, ctype, msg string) {
	// Some browsers send the path the file was picked from.
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	name = service.CleanLine(name)
	ext := strings.ToLower(path.Ext(name))
	want, known := attachmentTypes[ext]
	switch {
	case len(data) == 0:
		return name, "", "附件是空文件，请重新选择"
	case len(data) > MaxAttachment:
		return name, "", fmt.Sprintf("附件不能超过 %d MiB（当前 %.1f MiB）", MaxAttachment>>20, float64(len(data))/(1<<20))
	case strings.TrimSuffix(name, path.Ext(name)) == "":
		return name, "", "附件缺少文件名"
	case !known:
		return name, "", "附件只能是 " + AttachmentKinds
	}
	if r := []rune(name); len(r) > MaxAttachmentName {
		// Keep the extension: the download must open as what it is.
		name = string(r[:MaxAttachmentName-utf8.RuneCountInString(ext)]) + ext
	}
	got := mimetype.Detect(data)
	ole := got.Is(oleStorage) && (ext == ".doc" || ext == ".xls")
	if !got.Is(want) && !ole {
		return name, "", "附件内容与扩展名 " + ext + " 不符（文件可能已损坏或被改了扩展名），只能上传 " + AttachmentKinds
	}
	return name, want, ""
}
