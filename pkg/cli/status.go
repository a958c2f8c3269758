package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// StatusOptions says which canaries meshcanary status shows and how.
type StatusOptions struct {
	// Namespace to list; ignored with AllNamespaces.
	Namespace     string
	AllNamespaces bool
	// Name, when set, shows that Deployment only; it must be opted in.
	Name string
	// Watch keeps printing, one row or document per change, until ctx ends.
	Watch bool
	// Output is one of Outputs.
	Output string
	// Now is the clock of the AGE column.
	Now func() time.Time
}

// Status prints the release status of the opted-in Deployments to out; a
// "No canaries found" note goes to errOut, as kubectl does.
func Status(ctx context.Context, kube kubernetes.Interface, out, errOut io.Writer, o StatusOptions) error {
	p, err := newPrinter(o.Output, out, o.AllNamespaces, o.Now)
	if err != nil {
		return err
	}
	ns := o.Namespace
	if o.AllNamespaces {
		ns = metav1.NamespaceAll
	}
	cs, err := listCanaries(ctx, kube, ns, o.Name)
	if err != nil {
		return err
	}
	if len(cs) == 0 && o.Output == OutputTable {
		fmt.Fprintln(errOut, noCanaries(ns))
	}
	if err := p.listing(cs, o.Name != ""); err != nil {
		return err
	}
	if !o.Watch {
		return nil
	}
	return follow(ctx, kube, ns, o.Name, cs, p)
}

func noCanaries(ns string) string {
	if ns == metav1.NamespaceAll {
		return "No canaries found."
	}
	return fmt.Sprintf("No canaries found in namespace %s.", ns)
}

// listCanaries returns the opted-in Deployments of ns (all namespaces when
// ""), or the one called name, sorted by namespace and name.
func listCanaries(ctx context.Context, kube kubernetes.Interface, ns, name string) ([]Canary, error) {
	deployments := kube.AppsV1().Deployments(ns)
	if name != "" {
		d, err := deployments.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("deployment %s/%s not found", ns, name)
		}
		if err != nil {
			return nil, fmt.Errorf("getting deployment %s/%s: %w", ns, name, err)
		}
		if !optedIn(d) {
			return nil, fmt.Errorf("deployment %s/%s is not a canary: it lacks the label %s=%s", ns, name, config.EnabledLabel, config.EnabledValue)
		}
		return []Canary{CanaryOf(d)}, nil
	}
	list, err := deployments.List(ctx, metav1.ListOptions{LabelSelector: enabledSelector})
	if err != nil {
		return nil, fmt.Errorf("listing deployments labelled %s: %w", enabledSelector, err)
	}
	cs := make([]Canary, 0, len(list.Items))
	for i := range list.Items {
		if optedIn(&list.Items[i]) {
			cs = append(cs, CanaryOf(&list.Items[i]))
		}
	}
	slices.SortFunc(cs, func(a, b Canary) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return cs, nil
}

// enabledSelector selects the opted-in Deployments.
var enabledSelector = config.EnabledLabel + "=" + config.EnabledValue

// deploymentWatch lists and watches the opted-in Deployments of ns, or the
// one called name. It tells the reflector whether kube supports watch-list
// semantics (the fake clientset does not).
func deploymentWatch(kube kubernetes.Interface, ns, name string) cache.ListerWatcher {
	narrow := func(o *metav1.ListOptions) {
		o.LabelSelector = enabledSelector
		if name != "" {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
		}
	}
	return cache.ToListWatcherWithWatchListSemantics(&cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			narrow(&o)
			return kube.AppsV1().Deployments(ns).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			narrow(&o)
			return kube.AppsV1().Deployments(ns).Watch(ctx, o)
		},
	}, kube)
}

// follow prints each canary whose status changes until ctx ends. printed
// are the canaries already shown.
func follow(ctx context.Context, kube kubernetes.Interface, ns, name string, printed []Canary, p *printer) error {
	last := map[string]string{}
	for _, c := range printed {
		last[c.Namespace+"/"+c.Name] = fingerprint(c)
	}
	_, err := watchtools.UntilWithSync(ctx, deploymentWatch(kube, ns, name), &appsv1.Deployment{}, nil,
		func(ev watch.Event) (bool, error) {
			d, ok := ev.Object.(*appsv1.Deployment)
			if !ok || (name != "" && d.Name != name) {
				return false, nil
			}
			key := d.Namespace + "/" + d.Name
			if ev.Type == watch.Deleted || !optedIn(d) {
				delete(last, key)
				return false, nil
			}
			c := CanaryOf(d)
			if f := fingerprint(c); f != last[key] {
				last[key] = f
				return false, p.update(c)
			}
			return false, nil
		})
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("following deployments: %w", err)
}

// fingerprint identifies what status shows of c.
func fingerprint(c Canary) string {
	data, _ := json.Marshal(c) // Canary holds plain values only.
	return string(data)
}
