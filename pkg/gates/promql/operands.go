package promql

import (
	"regexp"
	"strconv"
	"strings"
)

// The operands of PromQL: literals, selectors, aggregations and calls.

func (p *parser) primary() (valueType, bool, error) {
	t := p.peek()
	switch t.kind {
	case tokNumber:
		p.next()
		return typeScalar, false, nil
	case tokString:
		p.next()
		return typeString, false, nil
	case tokIdent:
		return p.identifier()
	case tokOp:
		switch t.text {
		case "(":
			p.next()
			inner, _, err := p.binary(1)
			if err != nil {
				return 0, false, err
			}
			return inner, false, p.expect(")")
		case "{":
			return typeVector, true, p.matchers()
		}
	}
	return 0, false, p.errorf(t, "expected an expression, found %s", found(t))
}

// identifier parses what starts with a name: a number keyword, an
// aggregation, a function call or a metric selector.
func (p *parser) identifier() (valueType, bool, error) {
	t := p.next()
	after := p.peek().text
	if strings.EqualFold(t.text, "inf") || strings.EqualFold(t.text, "nan") {
		return typeScalar, false, nil
	}
	if a, ok := aggregations[t.text]; ok && (after == "(" || after == "by" || after == "without") {
		return typeVector, false, p.aggregation(t, a)
	}
	if f, ok := functions[t.text]; ok && after == "(" {
		return f.returns, false, p.call(t, f)
	}
	if after == "(" {
		return 0, false, p.errorf(t, "unknown function %q", t.text)
	}
	if after == "{" {
		return typeVector, true, p.matchers()
	}
	return typeVector, true, nil
}

func (p *parser) aggregation(name token, a aggregation) error {
	if err := p.grouping(); err != nil {
		return err
	}
	if err := p.expect("("); err != nil {
		return err
	}
	if a.param {
		pt, _, err := p.binary(1)
		if err != nil {
			return err
		}
		if pt != a.paramTyp {
			return p.errorf(name, "%s needs %s parameter, not %s", name.text, a.paramTyp.article(), pt.article())
		}
		if err := p.expect(","); err != nil {
			return err
		}
	}
	vt, _, err := p.binary(1)
	if err != nil {
		return err
	}
	if vt != typeVector {
		return p.errorf(name, "%s aggregates an instant vector, not %s", name.text, vt.article())
	}
	if err := p.expect(")"); err != nil {
		return err
	}
	return p.grouping()
}

// grouping parses an optional by(...) or without(...).
func (p *parser) grouping() error {
	if p.accept("by") || p.accept("without") {
		return p.labelList()
	}
	return nil
}

func (p *parser) call(name token, f function) error {
	if err := p.expect("("); err != nil {
		return err
	}
	var args []valueType
	for !p.accept(")") {
		t, _, err := p.binary(1)
		if err != nil {
			return err
		}
		args = append(args, t)
		if !p.accept(",") && p.peek().text != ")" {
			return p.errorf(p.peek(), "expected \",\" or \")\" in arguments of %s, found %s", name.text, found(p.peek()))
		}
	}
	return p.checkArgs(name, f, args)
}

func (p *parser) checkArgs(name token, f function, args []valueType) error {
	minArgs, maxArgs := len(f.args)-f.optional, len(f.args)
	if f.variadic {
		maxArgs = len(args)
	}
	if len(args) < minArgs || len(args) > maxArgs {
		return p.errorf(name, "%s takes %d to %d arguments, got %d", name.text, minArgs, len(f.args), len(args))
	}
	for i, got := range args {
		want := f.args[min(i, len(f.args)-1)]
		if got != want {
			return p.errorf(name, "argument %d of %s must be %s, not %s", i+1, name.text, want.article(), got.article())
		}
	}
	return nil
}

// matchers parses "{" matcher {"," matcher} [","] "}" with the cursor on
// "{". A quoted string alone is a metric name (Prometheus 3).
func (p *parser) matchers() error {
	open := p.next()
	n := 0
	for !p.accept("}") {
		label := p.next()
		if label.kind != tokIdent && label.kind != tokString {
			return p.errorf(label, "expected a label name, found %s", found(label))
		}
		nameOnly := label.kind == tokString && (p.peek().text == "," || p.peek().text == "}")
		if !nameOnly {
			if err := p.matcher(); err != nil {
				return err
			}
		}
		n++
		if !p.accept(",") && p.peek().text != "}" {
			return p.errorf(p.peek(), "expected \",\" or \"}\" in selector, found %s", found(p.peek()))
		}
	}
	if n == 0 {
		return p.errorf(open, "a selector needs a metric name or at least one matcher")
	}
	return nil
}

// matcher parses the operator and value of one label matcher.
func (p *parser) matcher() error {
	op := p.next()
	switch op.text {
	case "=", "!=", "=~", "!~":
	default:
		return p.errorf(op, "expected =, !=, =~ or !~, found %s", found(op))
	}
	val := p.next()
	if val.kind != tokString {
		return p.errorf(val, "a label value must be a quoted string, found %s", found(val))
	}
	if op.text == "=~" || op.text == "!~" {
		re, err := unquote(val.text)
		if err != nil {
			return p.errorf(val, "%v", err)
		}
		if _, err := regexp.Compile("^(?:" + re + ")$"); err != nil {
			return p.errorf(val, "invalid regular expression: %v", err)
		}
	}
	return nil
}

// unquote reads a PromQL string literal: Go syntax, single quotes allowed.
func unquote(lit string) (string, error) {
	if lit[0] == '\'' {
		var b strings.Builder
		body := lit[1 : len(lit)-1]
		for i := 0; i < len(body); i++ {
			switch {
			case body[i] == '\\' && i+1 < len(body) && body[i+1] == '\'':
				b.WriteByte('\'')
				i++
			case body[i] == '\\' && i+1 < len(body):
				b.WriteString(body[i : i+2])
				i++
			case body[i] == '"':
				b.WriteString(`\"`)
			default:
				b.WriteByte(body[i])
			}
		}
		lit = `"` + b.String() + `"`
	}
	return strconv.Unquote(lit)
}
