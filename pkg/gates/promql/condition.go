package promql

import (
	"fmt"
	"strconv"
	"strings"
)

// Op is the comparison of a query gate's value with its threshold.
type Op string

// The comparisons a query gate may use.
const (
	Less         Op = "<"
	LessEqual    Op = "<="
	Greater      Op = ">"
	GreaterEqual Op = ">="
	Equal        Op = "=="
	NotEqual     Op = "!="
)

// Holds reports whether "value op threshold" is true.
func (o Op) Holds(value, threshold float64) bool {
	switch o {
	case Less:
		return value < threshold
	case LessEqual:
		return value <= threshold
	case Greater:
		return value > threshold
	case GreaterEqual:
		return value >= threshold
	case Equal:
		return value == threshold
	}
	return value != threshold
}

// Condition is a query gate: a template whose value must satisfy
// "value Op Threshold" for the gate to pass.
type Condition struct {
	Query     Template
	Op        Op
	Threshold float64
}

// ParseCondition reads "<query template> <op> <number>", where the last
// comparison outside any bracket, followed by a number and nothing else,
// separates the query from the threshold.
func ParseCondition(src string) (Condition, error) {
	toks, err := lex(src)
	if err != nil {
		return Condition{}, err
	}
	n := len(toks) - 1 // tokens before tokEOF
	num := n - 1
	sign := 1.0
	if num >= 2 && toks[num-1].kind == tokOp && toks[num-1].text == "-" {
		sign = -1
		num--
	}
	if num < 1 || toks[n-1].kind != tokNumber || toks[num-1].kind != tokOp || !isComparison(toks[num-1].text) || depth(toks[:num-1]) != 0 {
		return Condition{}, fmt.Errorf("expected \"<query> <op> <number>\" with op one of <, <=, >, >=, ==, !=")
	}
	threshold, err := strconv.ParseFloat(toks[n-1].text, 64)
	if err != nil {
		return Condition{}, fmt.Errorf("threshold %q: %w", toks[n-1].text, err)
	}
	opTok := toks[num-1]
	query := append(toks[:num-1:num-1], token{kind: tokEOF, pos: opTok.pos, end: opTok.pos})
	t, err := templateOf(strings.TrimRight(src[:opTok.pos], " \t\r\n"), query)
	if err != nil {
		return Condition{}, err
	}
	return Condition{Query: t, Op: Op(opTok.text), Threshold: sign * threshold}, nil
}

// depth is the bracket depth at the end of toks; 0 when balanced.
func depth(toks []token) int {
	d := 0
	for _, t := range toks {
		if t.kind != tokOp {
			continue
		}
		switch t.text {
		case "(", "{", "[":
			d++
		case ")", "}", "]":
			d--
		}
	}
	return d
}
