package e2e

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// 寻人启事 end to end: a family submits a notice with a photo; the
// centre verifies and publishes it; a second citizen who opted in to area
// alerts sees it in the feed and in the alert inbox and sends a sighting;
// the officer sees the sighting live and triages it; the notice is closed
// as found and the closure reaches the alerted citizen.
func TestMissingPerson(t *testing.T) {
	b := NewBrowser(t)
	s := StartServer(t)

	// A photo to upload: a small PNG.
	img := image.NewRGBA(image.Rect(0, 0, 60, 80))
	for y := 0; y < 80; y++ {
		for x := 0; x < 60; x++ {
			img.Set(x, y, color.RGBA{uint8(200 - y), uint8(60 + x), 90, 255})
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	photo := filepath.Join(t.TempDir(), "photo.png")
	if err := os.WriteFile(photo, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	// The second citizen opts in to alerts around 长安区 first.
	helper := b.NewTab("helper")
	helper.Phone()
	helper.OpenCitizen(s, "13800138102")
	helper.Navigate(s.URL + "/#/missing/alerts")
	helper.WaitText("[data-testid=area-status]", "尚未开启")
	helper.SetValue("input[name=county]", "130102")
	helper.Click("[data-action=save-area]")
	helper.WaitText("[data-testid=area-status]", "长安区")
	helper.Screenshot("alerts-on")

	// The family submits.
	family := b.NewTab("family")
	family.Phone()
	family.OpenCitizen(s, "13800138101")
	family.Click("[data-fn=missing]")
	family.WaitVisible("[data-testid=missing-feed]")
	family.Click("[data-action=missing-new]")
	family.WaitVisible("[data-testid=missing-form]")
	sh := time.FixedZone("CST", 8*3600)
	now := time.Now().In(sh)
	for sel, v := range map[string]string{
		"input[name=name]":           "王小宝",
		"select[name=sex]":           "male",
		"input[name=age]":            "7",
		"input[name=height_cm]":      "120",
		"select[name=build]":         "slim",
		"textarea[name=features]":    "右耳后有一块胎记，说话带石家庄口音",
		"textarea[name=clothing]":    "蓝色校服上衣，黑色运动裤，红色书包",
		"input[name=last_seen_at]":   now.Add(-40 * time.Minute).Format("2006-01-02T15:04"),
		"input[name=place]":          "长安区建设北大街某小学东门",
		"input[name=lat]":            "38.0512",
		"input[name=lng]":            "114.5310",
		"input[name=unit]":           "130102",
		"input[name=unit_phone]":     "0311-86688110",
		"input[name=case_number]":    "A130102000000" + now.Format("200601") + "0042",
		"select[name=relation]":      "parent",
		"input[name=initiator_name]": "王建国",
		"input[name=address]":        "长安区某小区5号楼",
	} {
		family.SetValue(sel, v)
	}
	family.Do(chromedp.SetUploadFiles(chromedp.CSS("input[name=media]"), []string{photo}))
	family.Screenshot("form")
	family.Click("[data-action=submit-notice]")
	family.WaitText("[data-testid=state-explain]", "等待核实")
	family.WaitVisible("[data-testid=my-notice] img")
	family.Screenshot("submitted")

	// Nothing is public yet.
	helper.Navigate(s.URL + "/#/missing")
	helper.WaitText("[data-testid=missing-feed]", "暂无寻人启事")

	// The centre of 长安区 verifies and publishes.
	desk := b.NewTab("officer")
	desk.Desktop()
	desk.OpenConsole(s, "h130102")
	desk.Click("[data-nav=missing]")
	desk.WaitText("[data-testid=missing-queue]", "王小宝")
	desk.Click("[data-testid=missing-queue] tbody tr")
	desk.WaitVisible("[data-testid=notice-media] img")
	desk.WaitText("[data-testid=notice-details]", "A130102")
	desk.Click("[data-action=verify]")
	desk.WaitVisible("[data-testid=verify-box] [data-action=publish]:not([disabled])")
	desk.Click("input[name=initiator_contacted]")
	desk.Click("input[name=unit_confirmed]")
	desk.Click("input[name=case_number_confirmed]")
	desk.SetValue("textarea[name=check_note]", "已与长安分局值班室电话核实，受案编号一致")
	desk.Screenshot("verify")
	desk.Click("[data-action=publish]")
	desk.WaitVisible("[data-testid=close-box]")
	desk.Screenshot("published")

	// The second citizen: in the feed, and in the alert inbox.
	helper.Navigate(s.URL + "/#/missing?state=published")
	helper.WaitText("[data-testid=missing-feed]", "王小宝")
	helper.Screenshot("feed")
	helper.Navigate(s.URL + "/#/missing/alerts")
	helper.WaitText("[data-testid=inbox]", "王小宝")
	if helper.Count("[data-testid=inbox] li[data-kind=alert]") != 1 {
		t.Fatal("no alert in the inbox")
	}
	helper.Screenshot("inbox-alert")
	helper.Click("[data-testid=inbox] a.mp-card")
	helper.WaitText("[data-testid=public-notice]", "0311-86688110")
	pub := helper.Text("[data-testid=public-notice]")
	for _, secret := range []string{"13800138101", "5号楼", "王建国", "A130102"} {
		if strings.Contains(pub, secret) {
			t.Errorf("the public notice shows %q", secret)
		}
	}
	helper.SetValue("textarea[name=sighting]", "今天下午在长安公园北门看到一个背红色书包的男孩，独自一人")
	helper.Do(chromedp.SetUploadFiles(chromedp.CSS("[data-testid=sighting-form] input[name=photo]"), []string{photo}))
	helper.Click("[data-action=send-sighting]")
	helper.WaitText("[data-testid=sighting-form]", "线索已送达")
	helper.Screenshot("sighting-sent")

	// The officer sees it live and triages it.
	desk.WaitText("[data-testid=sightings]", "长安公园北门")
	desk.WaitVisible("[data-testid=sightings] img")
	desk.Click("[data-testid=sightings] [data-triage=relevant]")
	desk.WaitText("[data-testid=sightings]", "有价值")
	desk.Screenshot("sightings")

	// The family sees progress, not the sighting.
	family.Navigate(s.URL + "/#/missing/mine")
	family.Click("[data-testid=my-notices] a.mp-card")
	family.WaitText("[data-testid=progress]", "已收到线索 1 条")
	if strings.Contains(family.Text("[data-testid=my-notice]"), "长安公园北门") {
		t.Error("the family sees the raw sighting")
	}
	family.Screenshot("progress")

	// Closed as found: the closure reaches the alerted citizen.
	desk.SetValue("select[name=outcome]", "found")
	desk.Click("[data-action=close]")
	desk.WaitText("[data-testid=missing-review]", "已找到")
	desk.Screenshot("closed")
	helper.Navigate(s.URL + "/#/missing/alerts")
	helper.WaitVisible("[data-testid=inbox] li[data-kind=closure]")
	helper.WaitText("[data-testid=inbox] li[data-kind=closure]", "已找到")
	helper.Screenshot("inbox-closure")
	helper.Click("[data-testid=inbox] li[data-kind=closure] a.mp-card")
	helper.WaitText("[data-testid=closure]", "王小宝已找到")
	helper.Screenshot("closure")

	for _, tab := range []*Tab{helper, family, desk} {
		tab.NoConsoleErrors()
	}
}
