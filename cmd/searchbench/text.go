package main

import (
	"math/rand/v2"
	"strings"
)

// The words the queries look for. noHitWord shares no character with any
// piece of text below, so no question can hold it (a test checks).
const (
	commonWord = "奖学金"
	secondWord = "宿舍"
	rareWord   = "挑战杯"
	latinWord  = "CET4"
	noHitWord  = "量子纠缠"
)

// topics: the first come up far more often (pickSkewed), as in a real
// board, where a handful of subjects make most of the questions.
var topics = []string{
	"奖学金", "宿舍", "选课", "考试", "食堂", "图书馆", "助学金", "实习", "就业", "考研",
	"四六级", "CET4", "学分", "补考", "社团", "志愿服务", "心理咨询", "转专业", "毕业论文", "校园卡",
	"空调", "热水", "校园网", "快递", "教务系统", "辅导员", "入党", "请假", "医保", "门禁",
	"停电", "维修", "学费", "评优", "竞赛", "创业", "招聘会", "简历", "教材", "实验室",
	"自习室", "操场", "校车", "军训", "体测", "保研", "国家励志奖学金", "勤工助学", "助学贷款", "学生证",
	"Python课程", "GPA", "户口迁移", "档案", "党团活动", "青年大学习", "暑期实践", "三下乡", "寝室调换", "挑战杯",
}

var askStarts = []string{"请问", "想问一下", "老师好，", "同学们好，", "请教一下", "有没有人知道", "想咨询", "麻烦问下"}

var askMiddles = []string{"的申请什么时候开始", "怎么办理", "的名额是怎么分配的", "有什么要求", "的通知在哪里看",
	"出了问题找谁", "能不能延期", "需要准备哪些材料", "今年有变化吗", "的流程是怎样的", "一直没有回复", "可以线上办理吗"}

var bodyPieces = []string{
	"我是大二的学生，", "我是今年刚入学的新生，", "已经问过辅导员，", "在学校官网上没有找到相关说明，",
	"上周提交了材料，", "听同学说", "宿舍楼里好几个同学都遇到了", "这件事拖了快一个月，",
	"希望学校能尽快处理。", "麻烦老师帮忙看一下，谢谢！", "不知道应该联系哪个部门。", "想知道具体的时间安排。",
	"之前的通知写得不太清楚，", "学院和学校的说法不一样，", "对我们影响挺大的，", "感谢团委老师的帮助。",
	"希望能在青年之声上得到答复。", "如果需要补充材料请告诉我。", "晚上十点以后", "周末的时候",
}

func pickSkewed(rng *rand.Rand, list []string) string {
	f := rng.Float64()
	return list[int(f*f*f*float64(len(list)))]
}

func pick(rng *rand.Rand, list []string) string { return list[rng.IntN(len(list))] }

func questionTitle(rng *rand.Rand) string {
	return pick(rng, askStarts) + pickSkewed(rng, topics) + pick(rng, askMiddles) + "？"
}

func questionBody(rng *rand.Rand) string {
	var b strings.Builder
	for range 2 + rng.IntN(6) {
		if rng.IntN(3) == 0 {
			b.WriteString("关于" + pickSkewed(rng, topics) + "，")
		}
		b.WriteString(pick(rng, bodyPieces))
	}
	return b.String()
}
