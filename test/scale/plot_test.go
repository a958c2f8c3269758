//go:build scale

package scale

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/meshcanary/meshcanary/internal/golden"
)

// point is a canary weight, in percent, from a time in seconds after its
// image patch on.
type point struct{ t, w float64 }

// panel is one controller's canaries, each a step line of its weights.
type panel struct {
	title, color string
	lines        [][]point
}

// panelOf turns a run's weights into a panel: each canary's line starts at
// 0 % when its image was patched.
func panelOf(title, color string, patched map[string]time.Time, weights map[string][]weightEvent) panel {
	p := panel{title: title, color: color}
	for _, name := range slices.Sorted(maps.Keys(patched)) {
		line := []point{{0, 0}}
		for _, w := range weights[name] {
			if t := w.at.Sub(patched[name]).Seconds(); t >= 0 {
				line = append(line, point{t, w.weight})
			}
		}
		p.lines = append(p.lines, line)
	}
	return p
}

// Plot geometry, in SVG user units.
const (
	plotWidth   = 960
	panelHeight = 240
	marginLeft  = 56
	marginRight = 16
	marginTop   = 28
	marginBelow = 34
	maxPercent  = 60
)

// plotWeights draws the panels one above the other on one time axis, as
// an SVG document: each canary's weight as a faint step line, the median
// over the canaries, second by second, as a dark one.
func plotWeights(caption string, panels []panel) string {
	end := 10.0
	for _, p := range panels {
		for _, line := range p.lines {
			end = max(end, line[len(line)-1].t)
		}
	}
	step := niceStep(end / 8)
	end = math.Ceil(end/step) * step
	innerW := float64(plotWidth - marginLeft - marginRight)
	innerH := float64(panelHeight - marginTop - marginBelow)
	height := 20 + panelHeight*len(panels)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n",
		plotWidth, height, plotWidth, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="14" font-size="12">%s</text>`+"\n", marginLeft, escape(caption))
	for i, p := range panels {
		top := 20 + float64(i*panelHeight) + marginTop
		x := func(t float64) float64 { return marginLeft + innerW*t/end }
		y := func(w float64) float64 { return top + innerH*(1-w/maxPercent) }
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="12" font-weight="bold">%s (%d canaries)</text>`+"\n",
			marginLeft, top-8, escape(p.title), len(p.lines))
		for w := 0.0; w <= maxPercent; w += 10 {
			fmt.Fprintf(&b, `<line x1="%d" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%g %%</text>`+"\n",
				marginLeft, x(end), y(w), y(w), marginLeft-4, y(w)+4, w)
		}
		for t := 0.0; t <= end; t += step {
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="middle">%g s</text>`+"\n",
				x(t), x(t), y(0), y(maxPercent), x(t), y(0)+14, t)
		}
		opacity := math.Max(0.04, math.Min(0.6, 6/float64(max(len(p.lines), 1))))
		for _, line := range p.lines {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-opacity="%.2f" points="%s"/>`+"\n", p.color, opacity, stepPoints(line, x, y))
		}
		if median := medianLine(p.lines, end); len(median) > 0 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="black" stroke-width="2" points="%s"/>`+"\n", stepPoints(median, x, y))
		}
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#555">seconds after the canary's image patch; faint: one canary each; black: the median canary</text>`+"\n",
		marginLeft, height-4)
	b.WriteString("</svg>\n")
	return b.String()
}

// stepPoints renders a line as SVG points holding each weight until the
// next one.
func stepPoints(line []point, x, y func(float64) float64) string {
	var parts []string
	for i, p := range line {
		if i > 0 {
			parts = append(parts, fmt.Sprintf("%.1f,%.1f", x(p.t), y(line[i-1].w)))
		}
		parts = append(parts, fmt.Sprintf("%.1f,%.1f", x(p.t), y(p.w)))
	}
	return strings.Join(parts, " ")
}

// medianLine is the median weight over the lines, as a step line with a
// point at every time any line changes, and one at end.
func medianLine(lines [][]point, end float64) []point {
	if len(lines) == 0 {
		return nil
	}
	var times []float64
	for _, line := range lines {
		for _, p := range line {
			times = append(times, p.t)
		}
	}
	slices.Sort(times)
	var out []point
	ws := make([]float64, len(lines))
	for _, t := range append(slices.Compact(times), end) {
		for i, line := range lines {
			ws[i] = weightAt(line, t)
		}
		m, _ := percentile(ws, 0.5)
		if len(out) == 0 || out[len(out)-1].w != m {
			out = append(out, point{t, m})
		}
	}
	return append(out, point{end, out[len(out)-1].w})
}

// weightAt is the weight a step line holds at time t.
func weightAt(line []point, t float64) float64 {
	w := 0.0
	for _, p := range line {
		if p.t > t {
			break
		}
		w = p.w
	}
	return w
}

// niceStep rounds d up to 1, 2 or 5 times a power of ten.
func niceStep(d float64) float64 {
	pow := math.Pow(10, math.Floor(math.Log10(d)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*pow >= d {
			return m * pow
		}
	}
	return 10 * pow
}

// escape makes s safe as SVG text.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func TestPlotWeightsMatchesGolden(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	patched := map[string]time.Time{"app-000": t0, "app-001": at(1)}
	slow := map[string][]weightEvent{
		"app-000": {{at(-30), 0}, {at(18), 10}, {at(28), 20}, {at(38), 30}, {at(48), 40}, {at(58), 50}, {at(90), 0}},
		"app-001": {{at(20), 10}, {at(35), 20}, {at(45), 30}, {at(55), 40}, {at(70), 50}, {at(100), 0}},
	}
	fast := map[string][]weightEvent{
		"app-000": {{at(3), 10}, {at(13), 20}, {at(23), 30}, {at(33), 40}, {at(43), 50}, {at(55), 0}},
		"app-001": {{at(4), 10}, {at(14), 20}, {at(24), 30}, {at(34), 40}, {at(44), 50}, {at(56), 0}},
	}
	got := plotWeights("canary weight, N=2", []panel{
		panelOf("Flagger", "#d95f02", patched, slow), panelOf("meshcanary", "#1b9e77", patched, fast)})
	golden.Check(t, "weights-2.golden.svg", got)
}

func TestPlotHelpers(t *testing.T) {
	steps := map[float64]float64{0.3: 0.5, 7: 10, 12.5: 20, 180: 200, 0.001: 0.001}
	for d, want := range steps {
		if got := niceStep(d); math.Abs(got-want) > 1e-12 {
			t.Errorf("niceStep(%v) = %v, want %v", d, got, want)
		}
	}
	line := []point{{0, 0}, {3, 10}, {13, 20}, {55, 0}}
	weights := map[float64]float64{0: 0, 2.9: 0, 3: 10, 12: 10, 13: 20, 60: 0}
	for t0, want := range weights {
		if got := weightAt(line, t0); got != want {
			t.Errorf("weightAt(%v) = %v, want %v", t0, got, want)
		}
	}
	lines := [][]point{{{0, 0}, {2, 10}}, {{0, 0}, {3.5, 10}}, {{0, 0}, {9, 10}}}
	want := []point{{0, 0}, {3.5, 10}, {12, 10}}
	if diff := cmp.Diff(want, medianLine(lines, 12), cmp.AllowUnexported(point{})); diff != "" {
		t.Errorf("medianLine (-want +got):\n%s", diff)
	}
}
