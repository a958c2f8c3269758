package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// fakeController acknowledges the first command written on shop/reviews:
// it calls act on the Deployment (which sets the status) and records
// CommandAck, as the controller would.
func fakeController(t *testing.T, kube kubernetes.Interface, act func(d *appsv1.Deployment, command string)) {
	t.Helper()
	go func() {
		for range 1000 {
			d, err := kube.AppsV1().Deployments("shop").Get(context.Background(), "reviews", metav1.GetOptions{})
			if err == nil && d.Annotations[config.CommandAnnotation] != "" {
				command := d.Annotations[config.CommandAnnotation]
				act(d, command)
				s, _ := decodeStatus(d.Annotations)
				s.CommandAck = command
				setStatus(d, *s)
				_, _ = kube.AppsV1().Deployments("shop").Update(context.Background(), d, metav1.UpdateOptions{})
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
}

// progressing is shop/reviews at step 2 of 3.
func progressing() *appsv1.Deployment {
	return deployment("shop", "reviews", time.Hour, &stepper.Status{
		Phase: stepper.PhaseProgressing, Step: 2, Steps: 3, Weight: 25, Total: 100, TransitionTime: now,
	})
}

func sendCommand(kube kubernetes.Interface, verb string, timeout time.Duration) (string, error) {
	var out strings.Builder
	err := SendCommand(context.Background(), kube, &out, CommandOptions{
		Namespace: "shop", Name: "reviews", Verb: verb, Timeout: timeout, Now: clock,
	})
	return out.String(), err
}

func TestCommandActedOnPrintsTheNewStatus(t *testing.T) {
	kube := fake.NewClientset(progressing())
	fakeController(t, kube, func(d *appsv1.Deployment, _ string) {
		setStatus(d, stepper.Status{Phase: stepper.PhasePromoting, Step: 2, Steps: 3, Weight: 25, Total: 100,
			Reason: stepper.ReasonPromoting, Message: "promote command at step 2/3: promoting revision 5d4f"})
	})
	out, err := sendCommand(kube, stepper.VerbPromote, 10*time.Second)
	if err != nil {
		t.Fatalf("SendCommand: %v", err)
	}
	checkGolden(t, "command-promote", out)
}

func TestCommandIgnoredByTheControllerIsAnErrorWithItsReason(t *testing.T) {
	kube := fake.NewClientset(progressing())
	fakeController(t, kube, func(d *appsv1.Deployment, command string) {
		message := `command "` + command + `" does not apply in phase Progressing: retry applies while Failed`
		_, _ = kube.CoreV1().Events("shop").Create(context.Background(), &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Namespace: "shop", Name: "reviews.1"},
			InvolvedObject: corev1.ObjectReference{Kind: "Deployment", Namespace: "shop", Name: "reviews"},
			Type:           corev1.EventTypeWarning, Reason: stepper.ReasonCommandIgnored, Message: message,
		}, metav1.CreateOptions{})
	})
	_, err := sendCommand(kube, stepper.VerbRetry, 10*time.Second)
	want := `the controller acknowledged retry/1773489600000000000 but did nothing: command "retry/1773489600000000000" does not apply in phase Progressing: retry applies while Failed`
	if err == nil || err.Error() != want {
		t.Errorf("got error %v\nwant %s", err, want)
	}
}

func TestCommandWithoutAcknowledgementTimesOutNamingWhatToCheck(t *testing.T) {
	kube := fake.NewClientset(progressing())
	out, err := sendCommand(kube, stepper.VerbAbort, 300*time.Millisecond)
	if err == nil {
		t.Fatal("SendCommand succeeded without a controller")
	}
	checkGolden(t, "command-timeout", out+"error: "+err.Error()+"\n")
	d, _ := kube.AppsV1().Deployments("shop").Get(context.Background(), "reviews", metav1.GetOptions{})
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
			kube := fake.NewClientset()
			for _, d := range tc.objects {
				_, _ = kube.AppsV1().Deployments(d.Namespace).Create(context.Background(), d, metav1.CreateOptions{})
			}
			_, err := sendCommand(kube, tc.verb, time.Second)
			if err == nil || err.Error() != tc.want {
				t.Errorf("got error %v, want %q", err, tc.want)
			}
			for _, a := range kube.Actions() {
				if a.GetVerb() == "patch" {
					t.Errorf("wrote %v", a)
				}
			}
		})
	}
}
