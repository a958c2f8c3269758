package promql

// parseTemplate checks src as a whole query template, as ParseCondition
// checks the query before its comparison: the tests use it to exercise the
// template checks alone.
func parseTemplate(src string) (Template, error) {
	toks, err := lex(src)
	if err != nil {
		return Template{}, err
	}
	return templateOf(src, toks)
}
