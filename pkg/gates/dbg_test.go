package gates

import (
	"context"
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/gates/promql"
)

func TestDbg(t *testing.T) {
	te := newTestEvaluator(t)
	te.prom.answer(promql.Requests("shop"))
	s := specs(t, map[string]string{GatePrefix + KeyErrorRate: "max=1%"})
	v := te.Evaluate(context.Background(), s, release("web", t0.Add(time.Minute)))
	t.Logf("%+v %v", v, te.prom.queries())
}
