package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// fakeController acknowledges the first command written on shop/reviews:
// it calls act on the Deployment (which sets the status) and records
// CommandAck, as the controller would.
func fakeController(t *testing.T, cl Clients, act func(d *appsv1.Deployment, command string)) {
	t.Helper()
	go func() {
		for range 1000 {
			d := load(t, cl, "shop", "reviews")
			// The fake clientsets lose the events between an informer's
			// list and its watch: act once both watches are open.
			if command := d.Annotations[config.CommandAnnotation]; command != "" && watching(cl) {
				act(d, command)
				s, _, _ := stepper.DecodeStatus(d.Annotations)
				s.CommandAck = command
				setStatus(d, s)
				save(t, cl, d)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
}

// watching reports whether the Deployments (twice: the canaries and the
// ones meshcanary manages) and the VirtualServices are watched on cl.
func watching(cl Clients) bool {
	watches := func(actions []k8stesting.Action, resource string) int {
		n := 0
		for _, a := range actions {
			if a.GetVerb() == "watch" && a.GetResource().Resource == resource {
				n++
			}
		}
		return n
	}
	return watches(cl.Kube.(*fake.Clientset).Actions(), "deployments") >= 2 &&
		watches(cl.Istio.(istioFake).Actions(), "virtualservices") >= 1
}

// progressing is shop/reviews at step 2 of 3.
func progressing() *appsv1.Deployment {
	return deployment("shop", "reviews", time.Hour, &stepper.Status{
		Phase: stepper.PhaseProgressing, Step: 2, Steps: 3, Weight: 25, Total: 100, TransitionTime: now,
	})
}

func sendCommand(cl Clients, verb string, timeout time.Duration) (string, error) {
	var out strings.Builder
	err := SendCommand(context.Background(), cl, &out, CommandOptions{
		Namespace: "shop", Name: "reviews", Verb: verb, Timeout: timeout, Now: clock,
	})
	return out.String(), err
}

func TestCommandActedOnPrintsTheNewStatus(t *testing.T) {
	cl := clientsOf(t, progressing())
	fakeController(t, cl, func(d *appsv1.Deployment, _ string) {
		setStatus(d, stepper.Status{Phase: stepper.PhasePromoting, Step: 2, Steps: 3, Weight: 25, Total: 100,
			Reason: stepper.ReasonPromoting, Message: "promote command at step 2/3: promoting revision 5d4f"})
	})
	out, err := sendCommand(cl, stepper.VerbPromote, 10*time.Second)
	if err != nil {
		t.Fatalf("SendCommand: %v", err)
	}
	checkGolden(t, "command-promote", out)
}

func TestCommandIgnoredByTheControllerIsAnErrorWithItsReason(t *testing.T) {
	cl := clientsOf(t, progressing())
	fakeController(t, cl, func(d *appsv1.Deployment, command string) {
		message := `command "` + command + `" does not apply in phase Progressing: retry applies while Failed`
		_, _ = cl.Kube.CoreV1().Events("shop").Create(context.Background(), &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Namespace: "shop", Name: "reviews.1"},
			InvolvedObject: corev1.ObjectReference{Kind: "Deployment", Namespace: "shop", Name: "reviews"},
			Type:           corev1.EventTypeWarning, Reason: stepper.ReasonCommandIgnored, Message: message,
		}, metav1.CreateOptions{})
	})
	_, err := sendCommand(cl, stepper.VerbRetry, 10*time.Second)
	want := `the controller acknowledged retry/1773489600000000000 but did nothing: command "retry/1773489600000000000" does not apply in phase Progressing: retry applies while Failed`
	if err == nil || err.Error() != want {
		t.Errorf("got error %v\nwant %s", err, want)
	}
}

func TestCommandWithoutAcknowledgementTimesOutNamingWhatToCheck(t *testing.T) {
	cl := clientsOf(t, progressing())
	out, err := sendCommand(cl, stepper.VerbAbort, 300*time.Millisecond)
	if err == nil {
		t.Fatal("SendCommand succeeded without a controller")
	}
	checkGolden(t, "command-timeout", out+"error: "+err.Error()+"\n")
	d, _ := cl.Kube.AppsV1().Deployments("shop").Get(context.Background(), "reviews", metav1.GetOptions{})
	if got := d.Annotations[config.CommandAnnotation]; got != "abort/1773489600000000000" {
		t.Errorf("command annotation is %q", got)
	}
}

func TestCommandRefusesWhatIsNotACanary(t *testing.T) {
	tests := map[string]struct {
		objects []*appsv1.Deployment
		verb    string
		want    string
	}{
		"a deployment without the label": {
			[]*appsv1.Deployment{func() *appsv1.Deployment { d := progressing(); d.Labels = nil; return d }()},
			stepper.VerbPause, "deployment shop/reviews is not a canary: it lacks the label meshcanary.io/canary=enabled",
		},
		"a missing deployment": {nil, stepper.VerbPause, "deployment shop/reviews not found"},
		"an unknown verb":      {[]*appsv1.Deployment{progressing()}, "skip", `command "skip": want one of promote, abort, retry, pause, resume`},
		"a verb with a nonce":  {[]*appsv1.Deployment{progressing()}, "pause/1", `command "pause/1": want one of promote, abort, retry, pause, resume`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			objs := make([]runtime.Object, len(tc.objects))
			for i, d := range tc.objects {
				objs[i] = d
			}
			cl := clientsOf(t, objs...)
			_, err := sendCommand(cl, tc.verb, time.Second)
			if err == nil || err.Error() != tc.want {
				t.Errorf("got error %v, want %q", err, tc.want)
			}
			for _, a := range cl.Kube.(*fake.Clientset).Actions() {
				if a.GetVerb() == "patch" {
					t.Errorf("wrote %v", a)
				}
			}
		})
	}
}
