package promql

import (
	"fmt"
	"strconv"
)

// parser checks that a token stream is a PromQL expression and infers its
// type. It builds no tree: meshcanary only needs to know that a query is
// well formed and what it returns.
type parser struct {
	toks []token
	i    int
}

// check parses tokens as one complete PromQL expression and returns its
// type.
func check(toks []token) (valueType, error) {
	p := &parser{toks: toks}
	t, _, err := p.binary(1)
	if err != nil {
		return 0, err
	}
	if tok := p.peek(); tok.kind != tokEOF {
		return 0, p.errorf(tok, "unexpected %q after the end of the expression", tok.text)
	}
	return t, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

// found describes a token in an error message.
func found(t token) string {
	if t.kind == tokEOF {
		return "the end of the query"
	}
	return strconv.Quote(t.text)
}

func (p *parser) errorf(t token, format string, args ...any) error {
	return fmt.Errorf("at offset %d: %s", t.pos, fmt.Sprintf(format, args...))
}

// accept consumes the next token if it is the operator or keyword text.
func (p *parser) accept(text string) bool {
	t := p.peek()
	if (t.kind == tokOp || t.kind == tokIdent) && t.text == text {
		p.i++
		return true
	}
	return false
}

func (p *parser) expect(text string) error {
	if !p.accept(text) {
		t := p.peek()
		return p.errorf(t, "expected %q, found %s", text, found(t))
	}
	return nil
}

// binaryOp returns the binary operator at the cursor, or "".
func (p *parser) binaryOp() string {
	t := p.peek()
	if _, ok := binaryPrecedence[t.text]; ok && (t.kind == tokOp || t.kind == tokIdent) {
		return t.text
	}
	return ""
}

// binary parses operands joined by operators of at least minPrec
// (precedence climbing). The bool result reports a bare vector selector,
// the only operand a range may follow.
func (p *parser) binary(minPrec int) (valueType, bool, error) {
	lhs, sel, err := p.unary()
	if err != nil {
		return 0, false, err
	}
	for {
		op := p.binaryOp()
		prec := binaryPrecedence[op]
		if op == "" || prec < minPrec {
			return lhs, sel, nil
		}
		opTok := p.next()
		returnBool := isComparison(op) && p.accept("bool")
		matching, err := p.vectorMatching()
		if err != nil {
			return 0, false, err
		}
		nextPrec := prec + 1
		if op == "^" {
			nextPrec = prec
		}
		rhs, _, err := p.binary(nextPrec)
		if err != nil {
			return 0, false, err
		}
		if lhs, err = p.binaryType(opTok, lhs, rhs, returnBool, matching); err != nil {
			return 0, false, err
		}
		sel = false
	}
}

// binaryType checks the operand types of a binary operation and returns
// its result type.
func (p *parser) binaryType(op token, lhs, rhs valueType, returnBool, matching bool) (valueType, error) {
	for _, t := range []valueType{lhs, rhs} {
		if t != typeScalar && t != typeVector {
			return 0, p.errorf(op, "operands of %q must be scalars or instant vectors, not %s", op.text, t.article())
		}
	}
	both := lhs == typeVector && rhs == typeVector
	switch {
	case isSetOperator(op.text) && !both:
		return 0, p.errorf(op, "%q is only defined between instant vectors", op.text)
	case matching && !both:
		return 0, p.errorf(op, "vector matching is only allowed between instant vectors")
	case isComparison(op.text) && lhs == typeScalar && rhs == typeScalar && !returnBool:
		return 0, p.errorf(op, "comparisons between scalars must use the bool modifier")
	}
	if lhs == typeVector || rhs == typeVector {
		return typeVector, nil
	}
	return typeScalar, nil
}

// vectorMatching parses on/ignoring(...) and group_left/right(...).
func (p *parser) vectorMatching() (bool, error) {
	if !p.accept("on") && !p.accept("ignoring") {
		return false, nil
	}
	if err := p.labelList(); err != nil {
		return false, err
	}
	if p.accept("group_left") || p.accept("group_right") {
		if p.peek().text == "(" {
			if err := p.labelList(); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

// labelList parses "(" [label {"," label}] [","] ")".
func (p *parser) labelList() error {
	if err := p.expect("("); err != nil {
		return err
	}
	for !p.accept(")") {
		t := p.next()
		if t.kind != tokIdent && t.kind != tokString {
			return p.errorf(t, "expected a label name, found %s", found(t))
		}
		if !p.accept(",") && p.peek().text != ")" {
			return p.errorf(p.peek(), "expected \",\" or \")\" in label list, found %s", found(p.peek()))
		}
	}
	return nil
}

func (p *parser) unary() (valueType, bool, error) {
	if op := p.peek(); op.kind == tokOp && (op.text == "-" || op.text == "+") {
		p.next()
		t, _, err := p.binary(binaryPrecedence["^"])
		if err != nil {
			return 0, false, err
		}
		if t != typeScalar && t != typeVector {
			return 0, false, p.errorf(op, "unary %q needs a scalar or an instant vector, not %s", op.text, t.article())
		}
		return t, false, nil
	}
	t, sel, err := p.primary()
	if err != nil {
		return 0, false, err
	}
	return p.postfix(t, sel)
}

// postfix parses ranges, subqueries, offset and @ after an operand.
func (p *parser) postfix(t valueType, sel bool) (valueType, bool, error) {
	for {
		tok := p.peek()
		switch {
		case tok.text == "[" && tok.kind == tokOp:
			p.next()
			if err := p.duration(); err != nil {
				return 0, false, err
			}
			subquery := p.accept(":")
			if subquery && p.peek().kind == tokDuration {
				p.next()
			}
			if err := p.expect("]"); err != nil {
				return 0, false, err
			}
			if !subquery && !sel {
				return 0, false, p.errorf(tok, "a range [..] must follow a metric selector; use a subquery [range:step] otherwise")
			}
			if t != typeVector {
				return 0, false, p.errorf(tok, "a range needs an instant vector, not %s", t.article())
			}
			t, sel = typeMatrix, false
		case tok.kind == tokIdent && tok.text == "offset":
			p.next()
			p.accept("-")
			if err := p.duration(); err != nil {
				return 0, false, err
			}
		case tok.kind == tokOp && tok.text == "@":
			p.next()
			if err := p.at(); err != nil {
				return 0, false, err
			}
		default:
			return t, sel, nil
		}
	}
}

func (p *parser) duration() error {
	if t := p.next(); t.kind != tokDuration {
		return p.errorf(t, "expected a duration such as 5m, found %s", found(t))
	}
	return nil
}

// at parses the argument of @: a number, start() or end().
func (p *parser) at() error {
	t := p.next()
	switch {
	case t.kind == tokNumber:
		return nil
	case t.kind == tokIdent && (t.text == "start" || t.text == "end"):
		if err := p.expect("("); err != nil {
			return err
		}
		return p.expect(")")
	}
	return p.errorf(t, "@ needs a timestamp, start() or end(), found %s", found(t))
}
