package main

import (
	"math/rand/v2"

	"github.com/gdyouth/youthvoice/cmd/internal/benchtext"
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

// topics: the first come up far more often (benchtext.PickSkewed), as in a real
// board, where a handful of subjects make most of the questions.
var topics = []string{
	"奖学金", "宿舍", "选课", "考试", "食堂", "图书馆", "助学金", "实习", "就业", "考研",
	"四六级", "CET4", "学分", "补考", "社团", "志愿服务", "心理咨询", "转专业", "毕业论文", "校园卡",
	"空调", "热水", "校园网", "快递", "教务系统", "辅导员", "入党", "请假", "医保", "门禁",
	"停电", "维修", "学费", "评优", "竞赛", "创业", "招聘会", "简历", "教材", "实验室",
	"自习室", "操场", "校车", "军训", "体测", "保研", "国家励志奖学金", "勤工助学", "助学贷款", "学生证",
	"Python课程", "GPA", "户口迁移", "档案", "党团活动", "青年大学习", "暑期实践", "三下乡", "寝室调换", "挑战杯",
}

// questionTitle and questionBody: the shared generator
// (cmd/internal/benchtext) over this tool's topics.
func questionTitle(rng *rand.Rand) string { return benchtext.QuestionTitle(rng, topics) }

func questionBody(rng *rand.Rand) string { return benchtext.QuestionBody(rng, topics) }
