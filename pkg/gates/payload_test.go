package gates

import (
	"encoding/json"
	"testing"
	"time"
)

func TestPayloadsKeepTheirWireFormat(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	subject := Subject{Namespace: "shop", Deployment: "web", Primary: "web-primary", Service: "web", Revision: "r2"}
	annotations := PayloadAnnotations(map[string]string{"meshcanary.io/steps": "5", "meshcanary.io/status": "{}", "team": "shop"})
	cases := map[string]struct {
		payload any
		want    string
	}{
		"a release hook's request": {
			payload: HookRequest{ID: "shop/web/r2/post-rollback/1", Hook: "post-rollback", Subject: subject, StableRevision: "r1",
				Phase: "Failed", Reason: "TooManyFailedChecks", Message: "m", Attempt: 1, Attempts: 4, ReleaseStart: at, Now: at,
				Annotations: annotations},
			want: `{"id":"shop/web/r2/post-rollback/1","hook":"post-rollback","namespace":"shop","deployment":"web",` +
				`"primary":"web-primary","service":"web","revision":"r2","stableRevision":"r1","phase":"Failed",` +
				`"reason":"TooManyFailedChecks","message":"m","attempt":1,"attempts":4,"releaseStart":"2026-03-01T12:00:00Z",` +
				`"now":"2026-03-01T12:00:00Z","annotations":{"meshcanary.io/steps":"5"}}`,
		},
		"a webhook gate's request": {
			payload: WebhookRequest{Gate: "webhook.approval", Subject: subject, Step: 2, CanaryWeight: 50, Total: 1000,
				StepStart: at, Now: at, Annotations: annotations},
			want: `{"gate":"webhook.approval","namespace":"shop","deployment":"web","primary":"web-primary","service":"web",` +
				`"revision":"r2","step":2,"canaryWeight":50,"total":1000,"stepStart":"2026-03-01T12:00:00Z",` +
				`"now":"2026-03-01T12:00:00Z","annotations":{"meshcanary.io/steps":"5"}}`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := json.Marshal(tc.payload)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("JSON\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}
