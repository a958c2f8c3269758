package promql

// valueType is the type of a PromQL expression.
type valueType int

const (
	typeScalar valueType = iota
	typeVector
	typeMatrix
	typeString
)

func (t valueType) String() string {
	return [...]string{"scalar", "instant vector", "range vector", "string"}[t]
}

// article returns the type with its indefinite article.
func (t valueType) article() string {
	if t == typeVector {
		return "an " + t.String()
	}
	return "a " + t.String()
}

// function is the signature of a PromQL function: its argument types, how
// many trailing ones are optional, whether the last repeats, and its result.
type function struct {
	args     []valueType
	optional int
	variadic bool
	returns  valueType
}

var (
	s, v, m, str = typeScalar, typeVector, typeMatrix, typeString
)

// functions lists the functions of PromQL (Prometheus 3), including the
// experimental ones, which a server may still refuse.
var functions = map[string]function{
	"abs": {args: tv(v), returns: v}, "absent": {args: tv(v), returns: v},
	"absent_over_time": {args: tv(m), returns: v}, "acos": {args: tv(v), returns: v},
	"acosh": {args: tv(v), returns: v}, "asin": {args: tv(v), returns: v},
	"asinh": {args: tv(v), returns: v}, "atan": {args: tv(v), returns: v},
	"atanh": {args: tv(v), returns: v}, "avg_over_time": {args: tv(m), returns: v},
	"ceil": {args: tv(v), returns: v}, "changes": {args: tv(m), returns: v},
	"clamp": {args: tv(v, s, s), returns: v}, "clamp_max": {args: tv(v, s), returns: v},
	"clamp_min": {args: tv(v, s), returns: v}, "cos": {args: tv(v), returns: v},
	"cosh": {args: tv(v), returns: v}, "count_over_time": {args: tv(m), returns: v},
	"days_in_month": {args: tv(v), optional: 1, returns: v}, "day_of_month": {args: tv(v), optional: 1, returns: v},
	"day_of_week": {args: tv(v), optional: 1, returns: v}, "day_of_year": {args: tv(v), optional: 1, returns: v},
	"deg": {args: tv(v), returns: v}, "delta": {args: tv(m), returns: v},
	"deriv": {args: tv(m), returns: v}, "double_exponential_smoothing": {args: tv(m, s, s), returns: v},
	"exp": {args: tv(v), returns: v}, "first_over_time": {args: tv(m), returns: v},
	"floor": {args: tv(v), returns: v}, "histogram_avg": {args: tv(v), returns: v},
	"histogram_count": {args: tv(v), returns: v}, "histogram_fraction": {args: tv(s, s, v), returns: v},
	"histogram_quantile": {args: tv(s, v), returns: v}, "histogram_stddev": {args: tv(v), returns: v},
	"histogram_stdvar": {args: tv(v), returns: v}, "histogram_sum": {args: tv(v), returns: v},
	"hour": {args: tv(v), optional: 1, returns: v}, "idelta": {args: tv(m), returns: v},
	"increase": {args: tv(m), returns: v}, "info": {args: tv(v, v), optional: 1, returns: v},
	"irate": {args: tv(m), returns: v}, "label_join": {args: tv(v, str, str, str), variadic: true, returns: v},
	"label_replace": {args: tv(v, str, str, str, str), returns: v}, "last_over_time": {args: tv(m), returns: v},
	"ln": {args: tv(v), returns: v}, "log10": {args: tv(v), returns: v},
	"log2": {args: tv(v), returns: v}, "mad_over_time": {args: tv(m), returns: v},
	"max_over_time": {args: tv(m), returns: v}, "min_over_time": {args: tv(m), returns: v},
	"minute": {args: tv(v), optional: 1, returns: v}, "month": {args: tv(v), optional: 1, returns: v},
	"pi": {returns: s}, "predict_linear": {args: tv(m, s), returns: v},
	"present_over_time": {args: tv(m), returns: v}, "quantile_over_time": {args: tv(s, m), returns: v},
	"rad": {args: tv(v), returns: v}, "rate": {args: tv(m), returns: v},
	"resets": {args: tv(m), returns: v}, "round": {args: tv(v, s), optional: 1, returns: v},
	"scalar": {args: tv(v), returns: s}, "sgn": {args: tv(v), returns: v},
	"sin": {args: tv(v), returns: v}, "sinh": {args: tv(v), returns: v},
	"sort": {args: tv(v), returns: v}, "sort_by_label": {args: tv(v, str), variadic: true, returns: v},
	"sort_by_label_desc": {args: tv(v, str), variadic: true, returns: v}, "sort_desc": {args: tv(v), returns: v},
	"sqrt": {args: tv(v), returns: v}, "stddev_over_time": {args: tv(m), returns: v},
	"stdvar_over_time": {args: tv(m), returns: v}, "sum_over_time": {args: tv(m), returns: v},
	"tan": {args: tv(v), returns: v}, "tanh": {args: tv(v), returns: v},
	"time": {returns: s}, "timestamp": {args: tv(v), returns: v},
	"ts_of_first_over_time": {args: tv(m), returns: v}, "ts_of_last_over_time": {args: tv(m), returns: v},
	"ts_of_max_over_time": {args: tv(m), returns: v}, "ts_of_min_over_time": {args: tv(m), returns: v},
	"vector": {args: tv(s), returns: v}, "year": {args: tv(v), optional: 1, returns: v},
}

func tv(ts ...valueType) []valueType { return ts }

// aggregation says whether an aggregation operator takes a parameter
// before its vector, and of which type.
type aggregation struct {
	param    bool
	paramTyp valueType
}

var aggregations = map[string]aggregation{
	"sum": {}, "avg": {}, "count": {}, "min": {}, "max": {}, "group": {},
	"stddev": {}, "stdvar": {},
	"topk": {true, s}, "bottomk": {true, s}, "quantile": {true, s},
	"limitk": {true, s}, "limit_ratio": {true, s},
	"count_values": {true, str},
}

// binaryPrecedence gives each binary operator its precedence (higher binds
// tighter); ^ is the only right-associative one.
var binaryPrecedence = map[string]int{
	"or": 1, "and": 2, "unless": 2,
	"==": 3, "!=": 3, "<=": 3, "<": 3, ">=": 3, ">": 3,
	"+": 4, "-": 4,
	"*": 5, "/": 5, "%": 5, "atan2": 5,
	"^": 6,
}

func isComparison(op string) bool { return binaryPrecedence[op] == 3 }

func isSetOperator(op string) bool { return binaryPrecedence[op] <= 2 }
