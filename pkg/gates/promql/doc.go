// Package promql builds the PromQL that meshcanary sends and checks the
// query templates that users write in gate annotations.
//
// Every value that comes from a Kubernetes object (namespace, workload and
// service names) enters a query only as a complete, escaped PromQL string
// literal ([String]) or duration literal ([Duration]): it can never end a
// string early, open a selector or add an operator, so an annotation cannot
// change the shape of a query.
//
// Templates are checked by a PromQL parser of this package (lex.go,
// parse.go): it covers the PromQL grammar (selectors, matchers, range
// selectors and subqueries, offset and @, aggregations with by/without,
// binary operators with precedence, bool, on/ignoring and group_left/right,
// and every Prometheus function with its argument types). It is written
// here rather than imported from github.com/prometheus/prometheus because
// that module would add about 170 modules to the product's module graph.
package promql
