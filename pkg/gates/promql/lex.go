package promql

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokenKind classifies a token.
type tokenKind int

const (
	tokEOF tokenKind = iota
	tokIdent
	tokNumber
	tokDuration
	tokString
	tokPlaceholder
	tokOp // operators and punctuation
)

// token is one lexical unit of a query; pos and end are byte offsets into
// the source.
type token struct {
	kind     tokenKind
	text     string
	pos, end int
}

// operators, longest first so that "<=" wins over "<".
var operators = []string{
	"!=", "=~", "!~", "==", "<=", ">=",
	"(", ")", "{", "}", "[", "]", ",", ":", "=", "<", ">", "+", "-", "*", "/", "%", "^", "@",
}

// lex splits a query into tokens. Placeholders "{{name}}" are tokens of
// their own, recognised only outside string literals and comments.
func lex(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRuneInString(src[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
			continue
		case r == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		}
		t, err := lexOne(src, i)
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		i = t.end
	}
	return append(toks, token{kind: tokEOF, pos: len(src), end: len(src)}), nil
}

// lexOne reads the token that starts at i.
func lexOne(src string, i int) (token, error) {
	c := src[i]
	switch {
	case strings.HasPrefix(src[i:], "{{"):
		return lexPlaceholder(src, i)
	case c == '"' || c == '\'' || c == '`':
		return lexString(src, i)
	case isDigit(c) || (c == '.' && i+1 < len(src) && isDigit(src[i+1])):
		return lexNumber(src, i), nil
	case isIdentStart(c):
		j := i + 1
		for j < len(src) && (isIdentStart(src[j]) || isDigit(src[j]) || src[j] == ':') {
			j++
		}
		return token{kind: tokIdent, text: src[i:j], pos: i, end: j}, nil
	}
	for _, op := range operators {
		if strings.HasPrefix(src[i:], op) {
			return token{kind: tokOp, text: op, pos: i, end: i + len(op)}, nil
		}
	}
	r, _ := utf8.DecodeRuneInString(src[i:])
	return token{}, fmt.Errorf("unexpected character %q at offset %d", r, i)
}

func lexPlaceholder(src string, i int) (token, error) {
	end := strings.Index(src[i:], "}}")
	if end < 0 {
		return token{}, fmt.Errorf("unclosed placeholder at offset %d", i)
	}
	name := strings.TrimSpace(src[i+2 : i+end])
	return token{kind: tokPlaceholder, text: name, pos: i, end: i + end + 2}, nil
}

// lexString reads a quoted string with Go escapes (as PromQL does); raw
// strings (backquotes) have none.
func lexString(src string, i int) (token, error) {
	q := src[i]
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			if q != '`' {
				j++
			}
		case '\n':
			if q != '`' {
				return token{}, fmt.Errorf("newline in string at offset %d", j)
			}
		case q:
			return token{kind: tokString, text: src[i : j+1], pos: i, end: j + 1}, nil
		}
	}
	return token{}, fmt.Errorf("unterminated string at offset %d", i)
}

// lexNumber reads a number (decimal, hex, exponent) or a duration such as
// 5m or 1h30m.
func lexNumber(src string, i int) token {
	j := i
	if strings.HasPrefix(src[i:], "0x") || strings.HasPrefix(src[i:], "0X") {
		j += 2
		for j < len(src) && strings.ContainsRune("0123456789abcdefABCDEF", rune(src[j])) {
			j++
		}
		return token{kind: tokNumber, text: src[i:j], pos: i, end: j}
	}
	if d := durationEnd(src, i); d > i {
		return token{kind: tokDuration, text: src[i:d], pos: i, end: d}
	}
	for j < len(src) && (isDigit(src[j]) || src[j] == '.') {
		j++
	}
	if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
		k := j + 1
		if k < len(src) && (src[k] == '+' || src[k] == '-') {
			k++
		}
		if k < len(src) && isDigit(src[k]) {
			j = k
			for j < len(src) && isDigit(src[j]) {
				j++
			}
		}
	}
	return token{kind: tokNumber, text: src[i:j], pos: i, end: j}
}

// durationUnits in the order PromQL requires them within one duration.
var durationUnits = []string{"y", "w", "d", "h", "m", "s", "ms"}

// durationEnd returns the end of a duration starting at i, or i when there
// is none: one or more <digits><unit> groups with units in decreasing size.
func durationEnd(src string, i int) int {
	j, next := i, 0
	for {
		k := j
		for k < len(src) && isDigit(src[k]) {
			k++
		}
		if k == j {
			return j
		}
		u := unitAt(src, k, next)
		if u < 0 {
			return j
		}
		j = k + len(durationUnits[u])
		next = u + 1
	}
}

// unitAt returns the index of the duration unit at k (not followed by an
// identifier character), searching from units[from:], or -1.
func unitAt(src string, k, from int) int {
	best := -1
	for u := from; u < len(durationUnits); u++ {
		unit := durationUnits[u]
		end := k + len(unit)
		if strings.HasPrefix(src[k:], unit) && (end == len(src) || !isIdentStart(src[end])) {
			best = u
		}
	}
	return best
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
