// Package chart draws small charts as inline SVG on the server: bars, stacked bars
// and lines over a row of labels (days, age buckets, reasons). A chart needs no
// script and no style sheet: every colour is a presentation attribute, and every
// series is told apart by a pattern or a dash and a marker besides its colour, and
// named in the legend, so it reads in grey and in print. The SVG is an image to
// assistive technology, named by its <title> and <desc>; the page that shows it
// gives its numbers in a table.
package chart

import (
	"fmt"
	"html"
	"html/template"
	"strconv"
	"strings"
)

// Kind is how a chart draws its series.
type Kind int

// The kinds of chart.
const (
	// Bars draws the series side by side in each label's band.
	Bars Kind = iota
	// Stacked draws the series on top of each other, the first at the bottom.
	Stacked
	// Lines draws each series as a line with a marker at each value.
	Lines
)

// Series is one named row of values, one per label of the chart.
type Series struct {
	// Name is shown in the legend and in each value's tooltip.
	Name string
	// Values holds one value per label; negative values are drawn as zero.
	Values []int64
	// Missing marks the labels that have no value (a line is broken there). It may
	// be shorter than Values.
	Missing []bool
}

func (s Series) missing(i int) bool {
	return i < len(s.Missing) && s.Missing[i]
}

func (s Series) value(i int) int64 {
	if i >= len(s.Values) || s.Values[i] < 0 {
		return 0
	}

	return s.Values[i]
}

// Chart is a chart to draw.
type Chart struct {
	// ID is unique on the page: the ids inside the SVG start with it.
	ID   string
	Kind Kind
	// Title names the chart (the SVG's <title>); Desc says in a sentence what it
	// shows (its <desc>).
	Title, Desc string
	// XLabel and YLabel name the axes.
	XLabel, YLabel string
	// Labels are the categories along the x axis.
	Labels []string
	Series []Series
	// Format writes a value on the y axis and in tooltips. Defaults to the integer.
	Format func(int64) string
	// Max, when above 0, is the top of the y axis (100 % for a rate); otherwise it
	// is a round number above the largest value.
	Max int64
	// Width and Height are the drawing's size in user units (it scales to its box).
	// Default to 640 by 260.
	Width, Height int
}

// Palette holds the series' colours in order: the Okabe–Ito colours, told apart
// by people with the common colour-vision deficiencies.
var Palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"}

// PatternNames describe, in order, how the series' bars are filled, for a legend
// written outside the chart.
var PatternNames = []string{"solid", "diagonal stripes", "dots", "cross-hatch",
	"horizontal stripes", "vertical stripes"}

// Layout of the drawing, in user units.
const (
	marginLeft   = 70
	marginRight  = 14
	marginTop    = 34
	marginBottom = 50
	maxXLabels   = 12
)

// SVG draws the chart. Every text in it is escaped.
func (c Chart) SVG() template.HTML {
	if c.Width <= 0 {
		c.Width = 640
	}

	if c.Height <= 0 {
		c.Height = 260
	}

	if c.Format == nil {
		c.Format = func(v int64) string { return strconv.FormatInt(v, 10) }
	}

	id := esc(c.ID)

	var b strings.Builder

	fmt.Fprintf(&b, `<svg id="%s" class="chart" xmlns="http://www.w3.org/2000/svg" role="img" `+
		`viewBox="0 0 %d %d" width="%d" height="%d" `+
		`preserveAspectRatio="xMinYMin meet" aria-labelledby="%s-title %s-desc">`,
		id, c.Width, c.Height, c.Width, c.Height, id, id)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id,
		esc(c.Title), id, esc(c.Desc))

	c.defs(&b, id)

	plotW := c.Width - marginLeft - marginRight
	plotH := c.Height - marginTop - marginBottom
	top, step := c.scale()

	c.axes(&b, plotW, plotH, top, step)

	if len(c.Labels) > 0 {
		switch c.Kind {
		case Lines:
			c.lines(&b, plotW, plotH, top)
		default:
			c.bars(&b, id, plotW, plotH, top)
		}
	}

	c.legend(&b, id)
	b.WriteString(`</svg>`)

	// Every part is either constant, a number, or escaped by esc.
	return template.HTML(b.String())
}

// defs writes one fill pattern per series.
func (c Chart) defs(b *strings.Builder, id string) {
	if c.Kind == Lines || len(c.Series) == 0 {
		return
	}

	b.WriteString(`<defs>`)

	for i := range c.Series {
		colour := Palette[i%len(Palette)]
		fmt.Fprintf(b, `<pattern id="%s-fill%d" patternUnits="userSpaceOnUse" `+
			`width="8" height="8">`, id, i)
		fmt.Fprintf(b, `<rect width="8" height="8" fill="%s"/>`, colour)

		switch i % len(PatternNames) {
		case 1:
			b.WriteString(`<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" ` +
				`stroke="#fff" stroke-width="2"/>`)
		case 2:
			b.WriteString(`<circle cx="4" cy="4" r="1.8" fill="#fff"/>`)
		case 3:
			b.WriteString(`<path d="M0,0 l8,8 M8,0 l-8,8" stroke="#fff" stroke-width="1.4"/>`)
		case 4:
			b.WriteString(`<path d="M0,4 h8" stroke="#fff" stroke-width="2"/>`)
		case 5:
			b.WriteString(`<path d="M4,0 v8" stroke="#fff" stroke-width="2"/>`)
		}

		b.WriteString(`</pattern>`)
	}

	b.WriteString(`</defs>`)
}

// scale returns the top of the y axis and the step between its ticks.
func (c Chart) scale() (top, step int64) {
	var biggest int64

	for i := range c.Labels {
		var sum int64

		for _, s := range c.Series {
			if s.missing(i) {
				continue
			}

			v := s.value(i)
			sum += v
			biggest = max(biggest, v)
		}

		if c.Kind == Stacked {
			biggest = max(biggest, sum)
		}
	}

	if c.Max > 0 {
		return c.Max, niceStep(c.Max)
	}

	if biggest == 0 {
		return 4, 1
	}

	step = niceStep(biggest)
	top = (biggest + step - 1) / step * step

	return top, step
}

// niceStep is the smallest step of 1, 2 or 5 times a power of ten that cuts v
// into at most five parts.
func niceStep(v int64) int64 {
	for mag := int64(1); mag <= (1<<62)/10; mag *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if (v+m*mag-1)/(m*mag) <= 5 {
				return m * mag
			}
		}
	}

	return max(v/5, 1)
}

// axes draws the grid, the ticks and the axes' names.
func (c Chart) axes(b *strings.Builder, plotW, plotH int, top, step int64) {
	bottom := marginTop + plotH

	b.WriteString(`<g class="axis" font-size="11" fill="#333">`)

	for v := int64(0); v <= top; v += step {
		y := float64(bottom) - float64(v)/float64(top)*float64(plotH)
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>`,
			marginLeft, marginLeft+plotW, y, y)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end" dy="4">%s</text>`,
			marginLeft-6, y, esc(c.Format(v)))
	}

	fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#333"/>`, marginLeft,
		marginLeft+plotW, bottom, bottom)
	fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#333"/>`, marginLeft,
		marginLeft, marginTop, bottom)

	n := len(c.Labels)
	every := (n + maxXLabels - 1) / maxXLabels

	for i, l := range c.Labels {
		if every > 1 && i%every != 0 && i != n-1 {
			continue
		}

		x := float64(marginLeft) + (float64(i)+0.5)*float64(plotW)/float64(n)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, x,
			bottom+16, esc(l))
	}

	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" font-weight="bold">%s</text>`,
		marginLeft+plotW/2, c.Height-8, esc(c.XLabel))
	fmt.Fprintf(b, `<text transform="translate(14 %d) rotate(-90)" text-anchor="middle" `+
		`font-weight="bold">%s</text>`, marginTop+plotH/2, esc(c.YLabel))
	b.WriteString(`</g>`)
}

// bars draws grouped or stacked bars, each with a tooltip of its value.
func (c Chart) bars(b *strings.Builder, id string, plotW, plotH int, top int64) {
	n := len(c.Labels)
	band := float64(plotW) / float64(n)
	width := band * 0.75
	bottom := float64(marginTop + plotH)
	ns := max(len(c.Series), 1)

	b.WriteString(`<g class="bars">`)

	for i, label := range c.Labels {
		x := float64(marginLeft) + float64(i)*band + (band-width)/2
		base := bottom

		for si, s := range c.Series {
			v := s.value(i)
			if v == 0 || s.missing(i) {
				continue
			}

			h := float64(v) / float64(top) * float64(plotH)
			bx, bw, by := x, width, base-h

			if c.Kind == Stacked {
				base -= h
			} else {
				bw = width / float64(ns)
				bx = x + float64(si)*bw
				by = bottom - h
			}

			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" `+
				`fill="url(#%s-fill%d)" stroke="#222" stroke-width="0.5">`+
				`<title>%s, %s: %s</title></rect>`, bx, by, max(bw-0.5, 0.5), h, id, si,
				esc(label), esc(s.Name), esc(c.Format(v)))
		}
	}

	b.WriteString(`</g>`)
}

// dashes and markers tell the lines apart besides their colours.
var dashes = []string{"", "6 3", "2 3", "8 3 2 3"}

// lines draws each series as a line broken where a value is missing, with a
// marker of its own shape at each value.
func (c Chart) lines(b *strings.Builder, plotW, plotH int, top int64) {
	n := len(c.Labels)
	band := float64(plotW) / float64(n)
	bottom := float64(marginTop + plotH)

	b.WriteString(`<g class="lines" fill="none">`)

	for si, s := range c.Series {
		colour := Palette[si%len(Palette)]

		var path strings.Builder

		pen := false

		for i := range c.Labels {
			if s.missing(i) || i >= len(s.Values) {
				pen = false
				continue
			}

			x := float64(marginLeft) + (float64(i)+0.5)*band
			y := bottom - float64(min(s.value(i), top))/float64(top)*float64(plotH)

			cmd := "L"
			if !pen {
				cmd = "M"
			}

			fmt.Fprintf(&path, "%s%.1f,%.1f ", cmd, x, y)
			pen = true
		}

		if path.Len() > 0 {
			dash := ""
			if d := dashes[si%len(dashes)]; d != "" {
				dash = ` stroke-dasharray="` + d + `"`
			}

			fmt.Fprintf(b, `<path d="%s" stroke="%s" stroke-width="2"%s/>`,
				strings.TrimSpace(path.String()), colour, dash)
		}

		for i, label := range c.Labels {
			if s.missing(i) || i >= len(s.Values) {
				continue
			}

			x := float64(marginLeft) + (float64(i)+0.5)*band
			y := bottom - float64(min(s.value(i), top))/float64(top)*float64(plotH)
			marker(b, si, x, y, colour, fmt.Sprintf("%s, %s: %s", label, s.Name,
				c.Format(s.value(i))))
		}
	}

	b.WriteString(`</g>`)
}

// marker draws series si's marker shape at x, y with a tooltip.
func marker(b *strings.Builder, si int, x, y float64, colour, tip string) {
	t := `<title>` + esc(tip) + `</title>`

	switch si % 4 {
	case 0:
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s">%s</circle>`, x, y,
			colour, t)
	case 1:
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="7" height="7" fill="%s">%s</rect>`,
			x-3.5, y-3.5, colour, t)
	case 2:
		fmt.Fprintf(b, `<path d="M%.1f,%.1f l4,7 h-8 z" fill="%s">%s</path>`, x, y-4.5,
			colour, t)
	default:
		fmt.Fprintf(b, `<path d="M%.1f,%.1f l4,4.5 l-4,4.5 l-4,-4.5 z" fill="%s">%s</path>`,
			x, y-4.5, colour, t)
	}
}

// legend names each series with its swatch, left to right above the plot.
func (c Chart) legend(b *strings.Builder, id string) {
	if len(c.Series) == 0 {
		return
	}

	b.WriteString(`<g class="legend" font-size="12" fill="#222">`)

	x := marginLeft

	for si, s := range c.Series {
		if c.Kind == Lines {
			colour := Palette[si%len(Palette)]
			dash := ""
			if d := dashes[si%len(dashes)]; d != "" {
				dash = ` stroke-dasharray="` + d + `"`
			}

			fmt.Fprintf(b, `<path d="M%d,14 h22" stroke="%s" stroke-width="2"%s/>`, x, colour,
				dash)
			marker(b, si, float64(x+11), 14, colour, s.Name)
		} else {
			fmt.Fprintf(b, `<rect x="%d" y="7" width="14" height="14" fill="url(#%s-fill%d)" `+
				`stroke="#222" stroke-width="0.5"/>`, x, id, si)
		}

		fmt.Fprintf(b, `<text x="%d" y="18">%s</text>`, x+28, esc(s.Name))
		x += 28 + 7*len([]rune(s.Name)) + 18
	}

	b.WriteString(`</g>`)
}

// Compact writes minor units of a currency with exp fractional digits for an
// axis: whole units, with k for thousands and M for millions ("12.5k").
func Compact(minor int64, exp int) string {
	div := int64(1)
	for range exp {
		div *= 10
	}

	units := minor / div
	neg := units < 0

	if neg {
		units = -units
	}

	var s string

	switch {
	case units >= 1_000_000:
		s = tenths(units, 1_000_000) + "M"
	case units >= 10_000:
		s = tenths(units, 1_000) + "k"
	default:
		s = strconv.FormatInt(units, 10)
	}

	if neg {
		s = "-" + s
	}

	return s
}

// tenths writes v / unit with one decimal, dropping ".0".
func tenths(v, unit int64) string {
	if v > (1<<62)/10 {
		return strconv.FormatInt(v/unit, 10)
	}

	t := (v*10 + unit/2) / unit
	s := strconv.FormatInt(t/10, 10)

	if t%10 != 0 {
		s += "." + strconv.FormatInt(t%10, 10)
	}

	return s
}

// esc escapes text for XML, within elements and attribute values alike.
func esc(s string) string {
	return html.EscapeString(s)
}
