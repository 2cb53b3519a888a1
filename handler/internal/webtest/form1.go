package webtest

import (
	"fmt"
	"testing"

	"github.com/xuri/excelize/v2"
)

// Form1 is 附件1 as an office might type it from scratch: the title,
// 学校名称, table 1's header and people (职务, 姓名, 手机号).
func Form1(t *testing.T, people ...[3]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	rows := [][]string{{"广东省高校“青年之声”团学干部注册登记表"}, {"学校名称：深圳大学"}, {"职务", "姓名", "手机号", "邮箱", "QQ号", "微信号"}}
	for _, p := range people {
		rows = append(rows, p[:])
	}
	for i, r := range rows {
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &r); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
