package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSteps(t *testing.T) {
	oneToFifty := make([]int32, 50)
	for i := range oneToFifty {
		oneToFifty[i] = int32(i + 1)
	}
	tests := map[string]struct {
		in    string
		steps []int32
		total int32
	}{
		"whole percentages are out of 100":           {"10,25,50", []int32{10, 25, 50}, 100},
		"one decimal makes the total 1000":           {"0.5,1,5,25,50", []int32{5, 10, 50, 250, 500}, 1000},
		"two decimals make the total 10000":          {"0.01,0.05,1", []int32{1, 5, 100}, 10000},
		"mixed decimals scale to the most decimals":  {"0.5,0.75,1", []int32{50, 75, 100}, 10000},
		"trailing zeros are not decimals":            {"0.10,0.20", []int32{1, 2}, 1000},
		"a whole number with zero decimals is whole": {"1.00,2.0,3", []int32{1, 2, 3}, 100},
		"leading zeros are allowed":                  {"05,010", []int32{5, 10}, 100},
		"100 is the largest step":                    {"99.99,100", []int32{9999, 10000}, 10000},
		"0.01 is the smallest step":                  {"0.01", []int32{1}, 10000},
		"spaces and tabs around steps are ignored":   {" 1 ,\t2 ", []int32{1, 2}, 100},
		"50 steps are allowed":                       {countTo(50), oneToFifty, 100},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			steps, total, err := ParseSteps(tt.in)
			if err != nil {
				t.Fatalf("ParseSteps(%q) error = %v", tt.in, err)
			}
			if diff := cmp.Diff([]any{tt.steps, tt.total}, []any{steps, total}); diff != "" {
				t.Errorf("ParseSteps(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseStepsErrors(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"nothing is no steps":                  {"", "no steps"},
		"exponent notation is not a decimal":   {"1e2", `step 1 ("1e2") is not a decimal number`},
		"three decimals are too many":          {"0.001", "step 1 (0.001) has more than 2 decimals"},
		"a minus sign is not a decimal":        {"-5", `step 1 ("-5") is not a decimal number`},
		"a word is not a decimal":              {"abc", `step 1 ("abc") is not a decimal number`},
		"a repeated step is not increasing":    {"5,5", "step 2 (5) is not greater than step 1 (5)"},
		"an empty entry is not a decimal":      {"5,,10", `step 2 ("") is not a decimal number`},
		"zero is not above zero":               {"0.00", "step 1 (0.00) is not > 0 and <= 100"},
		"just over 100 is too much":            {"100.01", "step 1 (100.01) is not > 0 and <= 100"},
		"an integer beyond 32 bits is too big": {"5,4294967296", "step 2 (4294967296) is more than 100"},
		"51 steps are too many":                {countTo(51), "51 steps, more than 50"},
		"the first bad step is reported":       {"1,2,x,0.001", `step 3 ("x") is not a decimal number`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			steps, total, err := ParseSteps(tt.in)
			if err == nil {
				t.Fatalf("ParseSteps(%q) = %v, %d, want error %q", tt.in, steps, total, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("ParseSteps(%q) error = %q, want %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestFormatWeight(t *testing.T) {
	tests := map[string]struct {
		weight, total int32
		want          string
	}{
		"half a percent out of 1000":               {5, 1000, "0.5%"},
		"a hundredth of a percent out of 10000":    {1, 10000, "0.01%"},
		"a whole percent out of 100":               {25, 100, "25%"},
		"a whole percent out of 10000 is whole":    {2500, 10000, "25%"},
		"one decimal out of 10000 needs only one":  {50, 10000, "0.5%"},
		"everything is 100%":                       {1000, 1000, "100%"},
		"nothing is 0%":                            {0, 100, "0%"},
		"a total of 1000000 stays exact":           {1, 1000000, "0.0001%"},
		"a third has no exact form and is rounded": {1, 3, "~33.33%"},
		"a zero total is shown as a fraction":      {5, 0, "5/0"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := FormatWeight(tt.weight, tt.total); got != tt.want {
				t.Errorf("FormatWeight(%d, %d) = %q, want %q", tt.weight, tt.total, got, tt.want)
			}
		})
	}
}

func TestFormatWeightRoundTripsThroughParseSteps(t *testing.T) {
	for _, total := range []int32{100, 1000, 10000} {
		for weight := int32(1); weight <= total; weight++ {
			formatted := FormatWeight(weight, total)
			steps, parsedTotal, err := ParseSteps(strings.TrimSuffix(formatted, "%"))
			if err != nil {
				t.Fatalf("ParseSteps(FormatWeight(%d, %d) = %q) error = %v", weight, total, formatted, err)
			}
			if int64(steps[0])*int64(total) != int64(weight)*int64(parsedTotal) {
				t.Fatalf("FormatWeight(%d, %d) = %q parses back as %d/%d", weight, total, formatted, steps[0], parsedTotal)
			}
		}
	}
}
