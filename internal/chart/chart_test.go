package chart_test

import (
	"encoding/xml"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/o2c-dev/o2c/internal/chart"
)

// parse checks that svg is well-formed XML and returns its elements by name.
func parse(t *testing.T, svg string) map[string][]xml.StartElement {
	t.Helper()

	out := map[string][]xml.StartElement{}
	dec := xml.NewDecoder(strings.NewReader(svg))

	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}

		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, svg)
		}

		if se, ok := tok.(xml.StartElement); ok {
			out[se.Name.Local] = append(out[se.Name.Local], se)
		}
	}
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}

	return ""
}

func TestStackedBarsAreEscapedNamedAndScaled(t *testing.T) {
	t.Parallel()

	c := chart.Chart{ID: "c1", Kind: chart.Stacked, Title: `Cash <by> "day" & more`,
		Desc: "two days", XLabel: "Day", YLabel: "Amount", Labels: []string{"<a>", "b"},
		Series: []chart.Series{{Name: "Auto & co", Values: []int64{30, 10}},
			{Name: "Manual", Values: []int64{10, 0}}}}
	svg := string(c.SVG())
	els := parse(t, svg)

	for _, raw := range []string{`<by>`, `<a>`, `Auto & co`} {
		if strings.Contains(svg, raw) {
			t.Errorf("unescaped %q in %s", raw, svg)
		}
	}

	if !strings.Contains(svg, `<title id="c1-title">Cash &lt;by&gt; &#34;day&#34; &amp; more`+
		`</title><desc id="c1-desc">two days</desc>`) ||
		attr(els["svg"][0], "aria-labelledby") != "c1-title c1-desc" ||
		attr(els["svg"][0], "role") != "img" {
		t.Errorf("title, desc or role missing: %s", svg)
	}

	// Three bars (a zero is not drawn), each filled with its series' pattern; the
	// two of the first day are stacked, and their heights are in proportion.
	var bars []xml.StartElement
	for _, r := range els["rect"] {
		if strings.HasPrefix(attr(r, "fill"), "url(#c1-fill") && attr(r, "x") != "" &&
			attr(r, "width") != "14" {
			bars = append(bars, r)
		}
	}

	if len(bars) != 3 {
		t.Fatalf("%d bars, want 3", len(bars))
	}

	num := func(e xml.StartElement, name string) float64 {
		v, err := strconv.ParseFloat(attr(e, name), 64)
		if err != nil {
			t.Fatal(err)
		}

		return v
	}

	autoA, manualA, autoB := bars[0], bars[1], bars[2]
	if attr(autoA, "fill") != "url(#c1-fill0)" || attr(manualA, "fill") != "url(#c1-fill1)" ||
		num(autoA, "x") != num(manualA, "x") ||
		num(manualA, "y")+num(manualA, "height") != num(autoA, "y") {
		t.Errorf("first day's bars are not stacked: %v %v", autoA, manualA)
	}

	if h1, h2 := num(autoA, "height"), num(autoB, "height"); h1 < 2.9*h2 || h1 > 3.1*h2 {
		t.Errorf("heights %v and %v are not 3 to 1", h1, h2)
	}

	// Both series are in the legend, each told apart by a pattern of its own.
	if len(els["pattern"]) != 2 || !strings.Contains(svg, ">Auto &amp; co</text>") ||
		!strings.Contains(svg, ">Manual</text>") {
		t.Errorf("legend or patterns missing: %s", svg)
	}
}

func TestLinesBreakWhereValuesAreMissing(t *testing.T) {
	t.Parallel()

	c := chart.Chart{ID: "r", Kind: chart.Lines, Max: 10000,
		Labels: []string{"1", "2", "3", "4", "5"},
		Series: []chart.Series{{Name: "rate", Values: []int64{5000, 10000, 0, 2500, 2500},
			Missing: []bool{false, false, true}}},
		Format: func(v int64) string { return strconv.FormatInt(v/100, 10) + " %" }}
	svg := string(c.SVG())
	els := parse(t, svg)

	var line string
	for _, p := range els["path"] {
		if attr(p, "fill") == "" && strings.HasPrefix(attr(p, "d"), "M") &&
			strings.Count(attr(p, "d"), "M") == 2 {
			line = attr(p, "d")
		}
	}

	if line == "" || strings.Count(line, "L") != 2 {
		t.Fatalf("want one path of two pieces of two points, got %q in %s", line, svg)
	}

	if strings.Count(svg, "<circle") != 4+1 { // four values and the legend's marker
		t.Errorf("%d markers, want 5", strings.Count(svg, "<circle"))
	}

	for _, tick := range []string{">0 %<", ">60 %<", ">100 %<", ">4, rate: 25 %<"} {
		if !strings.Contains(svg, tick) {
			t.Errorf("no %q in %s", tick, svg)
		}
	}
}

var tickText = regexp.MustCompile(`text-anchor="end" dy="4">([^<]*)<`)

func TestTicksAreRoundNumbersAboveTheLargest(t *testing.T) {
	t.Parallel()

	for max, want := range map[int64]string{
		7:       "0 2 4 6 8",
		0:       "0 1 2 3 4",
		1234:    "0 500 1000 1500",
		99_999:  "0 20000 40000 60000 80000 100000",
		450_000: "0 100000 200000 300000 400000 500000",
	} {
		c := chart.Chart{ID: "t", Kind: chart.Bars, Labels: []string{"x"},
			Series: []chart.Series{{Name: "s", Values: []int64{max}}}}

		var got []string
		for _, m := range tickText.FindAllStringSubmatch(string(c.SVG()), -1) {
			got = append(got, m[1])
		}

		if strings.Join(got, " ") != want {
			t.Errorf("largest %d: ticks %v, want %s", max, got, want)
		}
	}
}

func TestEmptyChartIsStillAnImage(t *testing.T) {
	t.Parallel()

	els := parse(t, string(chart.Chart{ID: "e", Title: "nothing"}.SVG()))
	if len(els["svg"]) != 1 || len(els["title"]) != 1 || len(els["rect"]) != 0 {
		t.Errorf("empty chart: %v", els)
	}
}

func TestCompact(t *testing.T) {
	t.Parallel()

	for _, c := range []struct {
		minor int64
		exp   int
		want  string
	}{
		{0, 2, "0"}, {999_999, 2, "9999"}, {1_000_000, 2, "10k"}, {1_234_567, 2, "12.3k"},
		{250_000_000, 2, "2.5M"}, {-1_500_000, 2, "-15k"}, {1500, 0, "1500"},
		{12_345_678, 0, "12.3M"}, {5_000_000, 3, "5000"},
	} {
		if got := chart.Compact(c.minor, c.exp); got != c.want {
			t.Errorf("Compact(%d, %d) = %q, want %q", c.minor, c.exp, got, c.want)
		}
	}
}
