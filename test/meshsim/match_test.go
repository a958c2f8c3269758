package meshsim

import (
	"testing"

	"istio.io/api/networking/v1alpha3"
)

func TestRouteTakesTheFirstRouteWhoseMatchHolds(t *testing.T) {
	to := func(subset string, match ...*v1alpha3.HTTPMatchRequest) *v1alpha3.HTTPRoute {
		r := weighted(subset, 100)
		r.Match = match
		return r
	}
	vs := virtualService(app, []string{app},
		to("primary", &v1alpha3.HTTPMatchRequest{Headers: map[string]*v1alpha3.StringMatch{"x-pin": exact("primary")}}),
		to("canary", &v1alpha3.HTTPMatchRequest{Headers: map[string]*v1alpha3.StringMatch{"x-user": exact("tester")}}),
		to("canary", &v1alpha3.HTTPMatchRequest{Headers: map[string]*v1alpha3.StringMatch{"cookie": regex(`^(.*?;\s*)?(canary=always)(;.*)?$`)}}),
		to("canary", &v1alpha3.HTTPMatchRequest{Uri: prefix("/beta"), Method: exact("POST")}),
		to("canary", &v1alpha3.HTTPMatchRequest{Headers: map[string]*v1alpha3.StringMatch{"x-group": prefix("beta-")}}),
		weighted("primary", 100, "canary", 0),
	)
	m := meshOf(t, service(app), primaryPod("a").obj(), canaryPod("a").obj(), destinationRule(), vs)
	tests := map[string]struct {
		req  Request
		want string
	}{
		"a request with the tester header goes to the canary": {
			req: Request{Headers: map[string]string{"x-user": "tester"}}, want: "canary",
		},
		"a request with another user goes to the primary": {
			req: Request{Headers: map[string]string{"x-user": "someone"}}, want: "primary",
		},
		"a request with the canary cookie among others goes to the canary": {
			req: Request{Headers: map[string]string{"cookie": "session=1; canary=always; theme=dark"}}, want: "canary",
		},
		"a cookie that only ends like the canary cookie goes to the primary": {
			req: Request{Headers: map[string]string{"cookie": "nocanary=always"}}, want: "primary",
		},
		"a POST under /beta goes to the canary": {
			req: Request{Method: "POST", Path: "/beta/items?page=2"}, want: "canary",
		},
		"a GET under /beta goes to the primary because a match's conditions are ANDed": {
			req: Request{Path: "/beta/items"}, want: "primary",
		},
		"a header with the matching prefix goes to the canary": {
			req: Request{Headers: map[string]string{"x-group": "beta-testers"}}, want: "canary",
		},
		"the first matching route wins over a later one": {
			req: Request{Headers: map[string]string{"x-pin": "primary", "x-user": "tester"}}, want: "primary",
		},
		"a request without any match falls through to the weighted route": {
			req: Request{}, want: "primary",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.req.Service = podinfo
			rnd := seeded(3)
			for range 50 {
				if d := Route(m, tc.req, rnd); d.Subset != tc.want || d.Pod == nil {
					t.Fatalf("routed to subset %q (%d %s), want %q", d.Subset, d.Code, d.Flags, tc.want)
				}
			}
		})
	}
}

func TestRequestMatchesEveryKindOfCondition(t *testing.T) {
	req := Request{
		Service: podinfo,
		Source:  Source{Workload: "frontend", Namespace: "web", Labels: map[string]string{"app": "frontend"}},
		Method:  "GET",
		Path:    "/API/v1/items?color=red&size=9",
		Headers: map[string]string{"x-user": "tester", "x-empty": ""},
	}
	tests := map[string]struct {
		match *v1alpha3.HTTPMatchRequest
		want  bool
	}{
		"an empty match holds":                              {&v1alpha3.HTTPMatchRequest{}, true},
		"an exact uri must be the whole path":               {&v1alpha3.HTTPMatchRequest{Uri: exact("/API/v1")}, false},
		"an exact uri ignores the query":                    {&v1alpha3.HTTPMatchRequest{Uri: exact("/API/v1/items")}, true},
		"a uri prefix holds":                                {&v1alpha3.HTTPMatchRequest{Uri: prefix("/API/")}, true},
		"a uri prefix is case sensitive":                    {&v1alpha3.HTTPMatchRequest{Uri: prefix("/api/")}, false},
		"ignoreUriCase folds the case":                      {&v1alpha3.HTTPMatchRequest{Uri: prefix("/api/"), IgnoreUriCase: true}, true},
		"a uri regex must match the whole path":             {&v1alpha3.HTTPMatchRequest{Uri: regex("/API/v[0-9]")}, false},
		"a uri regex matching the whole path holds":         {&v1alpha3.HTTPMatchRequest{Uri: regex("/API/v[0-9]/.*")}, true},
		"an invalid regex never holds":                      {&v1alpha3.HTTPMatchRequest{Uri: regex("(")}, false},
		"a header regex holds":                              {&v1alpha3.HTTPMatchRequest{Headers: map[string]*v1alpha3.StringMatch{"x-user": regex("test.*")}}, true},
		"a header match without value needs the header":     {&v1alpha3.HTTPMatchRequest{Headers: map[string]*v1alpha3.StringMatch{"x-missing": {}}}, false},
		"a present empty header matches an empty match":     {&v1alpha3.HTTPMatchRequest{Headers: map[string]*v1alpha3.StringMatch{"x-empty": {}}}, true},
		"withoutHeaders rejects a matching header":          {&v1alpha3.HTTPMatchRequest{WithoutHeaders: map[string]*v1alpha3.StringMatch{"x-user": exact("tester")}}, false},
		"withoutHeaders accepts an absent header":           {&v1alpha3.HTTPMatchRequest{WithoutHeaders: map[string]*v1alpha3.StringMatch{"x-other": {}}}, true},
		"a query parameter holds":                           {&v1alpha3.HTTPMatchRequest{QueryParams: map[string]*v1alpha3.StringMatch{"color": exact("red")}}, true},
		"a query parameter with another value fails":        {&v1alpha3.HTTPMatchRequest{QueryParams: map[string]*v1alpha3.StringMatch{"size": exact("10")}}, false},
		"the method holds":                                  {&v1alpha3.HTTPMatchRequest{Method: exact("GET")}, true},
		"the scheme is http":                                {&v1alpha3.HTTPMatchRequest{Scheme: exact("https")}, false},
		"the authority is the service's FQDN":               {&v1alpha3.HTTPMatchRequest{Authority: prefix("podinfo.shop")}, true},
		"the service's port holds":                          {&v1alpha3.HTTPMatchRequest{Port: 9898}, true},
		"another port fails":                                {&v1alpha3.HTTPMatchRequest{Port: 80}, false},
		"the source namespace holds":                        {&v1alpha3.HTTPMatchRequest{SourceNamespace: "web"}, true},
		"another source namespace fails":                    {&v1alpha3.HTTPMatchRequest{SourceNamespace: "shop"}, false},
		"source labels hold":                                {&v1alpha3.HTTPMatchRequest{SourceLabels: map[string]string{"app": "frontend"}}, true},
		"other source labels fail":                          {&v1alpha3.HTTPMatchRequest{SourceLabels: map[string]string{"app": "batch"}}, false},
		"a match for an ingress gateway fails in the mesh":  {&v1alpha3.HTTPMatchRequest{Gateways: []string{"public"}}, false},
		"a match naming the mesh gateway holds":             {&v1alpha3.HTTPMatchRequest{Gateways: []string{"mesh"}}, true},
		"one failing condition fails the whole match block": {&v1alpha3.HTTPMatchRequest{Uri: prefix("/API"), Method: exact("PUT")}, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := requestMatches(tc.match, req, 9898); got != tc.want {
				t.Errorf("requestMatches = %v, want %v", got, tc.want)
			}
		})
	}
}
