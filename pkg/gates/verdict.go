package gates

// Result is the outcome of one gate evaluation.
type Result string

// The results a gate can give.
const (
	// Pass means there is enough evidence that the canary is good.
	Pass Result = "Pass"
	// Hold means there is not enough evidence yet (too few requests,
	// Prometheus unreachable, an undecided sequential test).
	Hold Result = "Hold"
	// Fail means the canary is worse than allowed.
	Fail Result = "Fail"
)

// Verdict is one gate's answer. Value and Threshold are nil when the gate
// has no number to report (for example, Prometheus could not be reached).
type Verdict struct {
	Gate      string   `json:"gate"`
	Result    Result   `json:"result"`
	Value     *float64 `json:"value,omitempty"`
	Threshold *float64 `json:"threshold,omitempty"`
	Reason    string   `json:"reason,omitempty"`
}

// Combine reduces verdicts to one result: Fail if any gate failed, else Hold
// if any held, else Pass. No verdicts is Pass: progression is then by time.
func Combine(vs []Verdict) Result {
	r := Pass
	for _, v := range vs {
		switch v.Result {
		case Fail:
			return Fail
		case Hold:
			r = Hold
		}
	}
	return r
}
