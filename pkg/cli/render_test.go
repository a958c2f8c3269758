package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// manifests reads testdata files into Manifests, defaulting the namespace
// to shop.
func manifests(t *testing.T, files ...string) Manifests {
	t.Helper()
	var m Manifests
	for _, name := range files {
		f, err := os.Open(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		err = m.Read(f, name, "shop")
		_ = f.Close()
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
	}
	return m
}

func TestRenderGolden(t *testing.T) {
	tests := map[string]struct {
		files []string
		hash  string
	}{
		"without routing objects it shows the ones meshcanary creates":    {[]string{"reviews-app.yaml"}, PlaceholderHash},
		"it patches the user's routing objects and warns of mixed routes": {[]string{"reviews-app.yaml", "reviews-routing.yaml"}, "7d9f8c6b5"},
		"it shows the match, mirror and sticky routes of a strategy":      {[]string{"reviews-app-strategies.yaml", "reviews-routing.yaml"}, "7d9f8c6b5"},
		"a promotion by role swap routes to the slots' subsets":           {[]string{"reviews-app-swap.yaml", "reviews-routing.yaml"}, "7d9f8c6b5"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var out strings.Builder
			if err := Render(&out, manifests(t, tc.files...), tc.hash); err != nil {
				t.Fatalf("Render: %v", err)
			}
			checkGolden(t, "render-"+strings.ReplaceAll(name, " ", "-"), out.String())
		})
	}
}

func TestRenderShowsEveryVirtualServiceTheOperatorAllowsAndWarnsOfTheOthers(t *testing.T) {
	var out strings.Builder
	m := manifests(t, "reviews-app.yaml", "reviews-routing.yaml", "reviews-gateways.yaml")
	if err := RenderAllowing(&out, m, "7d9f8c6b5", []string{"istio-system"}); err != nil {
		t.Fatalf("RenderAllowing: %v", err)
	}
	checkGolden(t, "render-gateways-allowed-and-not", out.String())
}

func TestRenderErrors(t *testing.T) {
	tests := map[string]struct {
		mutate func(*Manifests)
		want   string
	}{
		"invalid annotations are refused, pointing to lint": {
			func(m *Manifests) { m.Deployments[0].Annotations["meshcanary.io/steps"] = "50,10" },
			`deployment shop/reviews: invalid annotations (meshcanary lint lists them): annotation meshcanary.io/steps="50,10": `,
		},
		"a missing Service asks for its manifest": {
			func(m *Manifests) { m.Services = nil },
			"deployment shop/reviews: no Service selects the pod template's labels: pass the Service's manifest with -f, or name it in annotation meshcanary.io/service",
		},
		"two Services for the pods must be told apart": {
			func(m *Manifests) {
				m.Services = append(m.Services, m.Services[0].DeepCopy())
				m.Services[1].Name = "reviews-2"
			},
			"deployment shop/reviews: several Services select the pods (reviews, reviews-2): name one in annotation meshcanary.io/service",
		},
		"a named VirtualService must be among the files": {
			func(m *Manifests) { m.Deployments[0].Annotations["meshcanary.io/virtual-service"] = "nope" },
			"deployment shop/reviews: VirtualService shop/nope: not found",
		},
		"no Deployment is an error": {
			func(m *Manifests) { m.Deployments = nil },
			"no Deployment (apps/v1) in the files",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := manifests(t, "reviews-app.yaml")
			tc.mutate(&m)
			err := Render(&strings.Builder{}, m, PlaceholderHash)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("got error %v\nwant one starting %s", err, tc.want)
			}
		})
	}
}

func TestReadManifestsReportsTheDocumentThatDoesNotDecode(t *testing.T) {
	var m Manifests
	doc := "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n---\napiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: many\n"
	err := m.Read(strings.NewReader(doc), "app.yaml", "shop")
	if err == nil || !strings.HasPrefix(err.Error(), "app.yaml: document 2: ") {
		t.Errorf("got error %v", err)
	}
}

func TestLintGolden(t *testing.T) {
	var out strings.Builder
	n := Lint(&out, manifests(t, "lint.yaml").Deployments)
	checkGolden(t, "lint", out.String())
	if lines := strings.Count(out.String(), "\n") - 1; n != lines {
		t.Errorf("Lint counted %d problems and printed %d", n, lines)
	}
}
