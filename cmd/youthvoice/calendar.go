package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/gdyouth/youthvoice/config"
	"github.com/gdyouth/youthvoice/service/clock"
	"github.com/gdyouth/youthvoice/service/workday"
)

// loadCalendar builds the working-day calendar with the operator's
// YV_HOLIDAYS_FILE, if any.
func loadCalendar(cfg config.Config) (*workday.Calendar, error) {
	var extra []workday.Entry
	if cfg.HolidaysFile != "" {
		var err error
		if extra, err = workday.Load(cfg.HolidaysFile); err != nil {
			return nil, fmt.Errorf("YV_HOLIDAYS_FILE=%s: %w", cfg.HolidaysFile, err)
		}
	}
	return workday.New(extra)
}

// calendarCmd prints a year's holidays and make-up workdays, so the
// operator sees what the service will count (this year by default).
func calendarCmd(configFile string, getenv func(string) string, args []string, stdout io.Writer) error {
	cfg, err := config.Load(configFile, getenv)
	if err != nil {
		return err
	}
	cal, err := loadCalendar(cfg)
	if err != nil {
		return err
	}
	year := time.Now().In(clock.Beijing).Year()
	if len(args) == 1 {
		if year, err = strconv.Atoi(args[0]); err != nil || year < 2000 || year > 2099 {
			return fmt.Errorf("年份 %q 无效", args[0])
		}
	}
	if !cal.Known(year) {
		fmt.Fprintf(stdout, "%d 年的节假日安排未知：只按周末计算工作日。公布后请写入 YV_HOLIDAYS_FILE（每行「日期 名称 休/班」）。\n", year)
		return nil
	}
	fmt.Fprintf(stdout, "%d 年法定节假日（休）和调休上班日（班）：\n", year)
	for _, e := range cal.Year(year) {
		kind := "休"
		if e.Work {
			kind = "班"
		}
		d, _ := time.Parse(time.DateOnly, e.Date)
		fmt.Fprintf(stdout, "%s %s %s %s\n", e.Date, "一二三四五六日"[3*((int(d.Weekday())+6)%7):3*((int(d.Weekday())+6)%7)+3], e.Name, kind)
	}
	return nil
}
