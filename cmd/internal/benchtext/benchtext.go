// Package benchtext is the Chinese question text the bench tools
// (scalebench, searchbench) generate: a few phrasings around a topic, so
// that a search for a common topic has many hits and a word made of none
// of these characters has none. Each tool brings its own topics.
package benchtext

import (
	"math/rand/v2"
	"strings"
)

// AskStarts, AskMiddles and BodyPieces are the pieces around the topics.
var (
	AskStarts  = []string{"请问", "想问一下", "老师好，", "同学们好，", "请教一下", "有没有人知道", "想咨询", "麻烦问下"}
	AskMiddles = []string{"的申请什么时候开始", "怎么办理", "的名额是怎么分配的", "有什么要求", "的通知在哪里看",
		"出了问题找谁", "能不能延期", "需要准备哪些材料", "今年有变化吗", "的流程是怎样的", "一直没有回复", "可以线上办理吗"}
	BodyPieces = []string{
		"我是大二的学生，", "我是今年刚入学的新生，", "已经问过辅导员，", "在学校官网上没有找到相关说明，",
		"上周提交了材料，", "听同学说", "宿舍楼里好几个同学都遇到了", "这件事拖了快一个月，",
		"希望学校能尽快处理。", "麻烦老师帮忙看一下，谢谢！", "不知道应该联系哪个部门。", "想知道具体的时间安排。",
		"之前的通知写得不太清楚，", "学院和学校的说法不一样，", "对我们影响挺大的，", "感谢团委老师的帮助。",
		"希望能在青年之声上得到答复。", "如果需要补充材料请告诉我。", "晚上十点以后", "周末的时候",
	}
)

// Glue is the text the generators add between pieces.
var Glue = []string{"关于", "，", "方面，", "？"}

// Pick picks from list uniformly.
func Pick(rng *rand.Rand, list []string) string { return list[rng.IntN(len(list))] }

// PickSkewed picks from list with the first entries far more likely, as
// on a real board, where a handful of subjects make most questions.
func PickSkewed(rng *rand.Rand, list []string) string {
	f := rng.Float64()
	return list[int(f*f*f*float64(len(list)))]
}

// QuestionTitle is a one-line question about one of topics.
func QuestionTitle(rng *rand.Rand, topics []string) string {
	return Pick(rng, AskStarts) + PickSkewed(rng, topics) + Pick(rng, AskMiddles) + "？"
}

// QuestionBody is a few sentences, some about one of topics.
func QuestionBody(rng *rand.Rand, topics []string) string {
	var b strings.Builder
	for range 2 + rng.IntN(6) {
		if rng.IntN(3) == 0 {
			b.WriteString("关于" + PickSkewed(rng, topics) + "，")
		}
		b.WriteString(Pick(rng, BodyPieces))
	}
	return b.String()
}
