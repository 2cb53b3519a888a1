package main

import (
	"math/rand/v2"
	"strings"

	"github.com/gdyouth/youthvoice/cmd/internal/benchtext"
)

// Question and answer text is Chinese built from a vocabulary, so that a
// search for a common word (奖学金, 宿舍) has many hits at province volume
// and noHitWord has none: no piece below contains any of its characters,
// so no concatenation can spell it (a test checks both).

// The words a search row looks for.
const (
	commonWord = "奖学金"
	noHitWord  = "量子纠缠"
)

// topics: the first ones come up far more often (see pickSkewed).
var topics = []string{
	"奖学金", "宿舍", "选课", "考试", "食堂", "图书馆", "助学金", "实习", "就业", "考研",
	"四六级", "学分", "补考", "社团", "志愿服务", "心理咨询", "转专业", "毕业论文", "校园卡", "空调",
	"热水", "校园网", "快递", "教务系统", "辅导员", "入党", "请假", "医保", "门禁", "停电",
	"维修", "学费", "评优", "竞赛", "创业", "招聘会", "简历", "教材", "实验室", "自习室",
	"操场", "校车", "军训", "体测", "保研", "国家励志奖学金", "勤工助学", "助学贷款", "学生证", "户口迁移",
	"档案", "党团活动", "青年大学习", "暑期实践", "三下乡", "寝室调换", "洗衣机", "饮水机", "外卖", "作息时间",
}

var answerPieces = []string{
	"同学你好，", "感谢你的提问，", "已经联系相关部门核实，", "请关注学院的最新通知，",
	"具体安排以教务处发布的文件为准，", "可以在工作日到学生事务中心咨询，", "材料提交后一般五个工作日内审核完毕，",
	"已转交后勤部门处理，", "如有其他问题欢迎继续追问。", "建议先和辅导员沟通，", "相关流程可以在校园网查询。",
	"我们会持续跟进这件事。", "今年的政策和去年基本一致，", "名额按照各学院人数比例分配，",
}
var followPieces = []string{"谢谢老师！", "还想再问一下，", "按照答复去办了，", "还是没有解决，", "请问具体是哪一天？",
	"好的，明白了。", "已经收到通知了，谢谢。", "能不能再说详细一点？"}

// pick, pickSkewed, questionTitle and questionBody: the shared
// generator (cmd/internal/benchtext) over this tool's topics.
var pick, pickSkewed = benchtext.Pick, benchtext.PickSkewed

func questionTitle(rng *rand.Rand) string { return benchtext.QuestionTitle(rng, topics) }

func questionBody(rng *rand.Rand) string { return benchtext.QuestionBody(rng, topics) }

func answerBody(rng *rand.Rand) string {
	var b strings.Builder
	n := 2 + rng.IntN(5)
	for i := 0; i < n; i++ {
		if rng.IntN(4) == 0 {
			b.WriteString(pickSkewed(rng, topics) + "方面，")
		}
		b.WriteString(pick(rng, answerPieces))
	}
	return b.String()
}

func followUpBody(rng *rand.Rand) string {
	return pick(rng, followPieces) + pick(rng, followPieces)
}

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余叶杜苏魏程吕丁沈任姚卢钟姜崔谭陆汪范廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严欧莫孔向汤")
var givenNames = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲峰建文辉力斌宇浩凯健俊帆帅旭宁龙林欣佳怡思雨晨轩婷雪琳梓涵子豪博文浩然")

func personName(rng *rand.Rand) string {
	n := string(surnames[rng.IntN(len(surnames))]) + string(givenNames[rng.IntN(len(givenNames))])
	if rng.IntN(3) > 0 {
		n += string(givenNames[rng.IntN(len(givenNames))])
	}
	return n
}

// textPieces is every piece text is built from, for the test that
// noHitWord cannot occur.
func textPieces() [][]string {
	return [][]string{topics, benchtext.AskStarts, benchtext.AskMiddles, benchtext.BodyPieces, answerPieces, followPieces,
		hiddenReasons, chatTexts, benchtext.Glue}
}

var hiddenReasons = []string{"与版区主题无关", "含有个人隐私信息", "重复提问", "内容不文明", "广告信息"}

// chatTexts are what students type to the service account.
var chatTexts = []string{"你好", "怎么激活账号", "奖学金什么时候评", "宿舍空调坏了找谁", "青年之家在哪里", "怎么预约心理咨询",
	"人工客服", "谢谢", "怎么提问", "我的问题什么时候有回复", "绑定失败怎么办", "四六级报名时间"}
