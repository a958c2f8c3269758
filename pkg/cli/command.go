package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// CommandOptions is one operator command for one canary.
type CommandOptions struct {
	Namespace, Name string
	// Verb is one of stepper.VerbPromote, VerbAbort, VerbRetry, VerbPause
	// and VerbResume.
	Verb string
	// Timeout bounds the wait for the controller's acknowledgement.
	Timeout time.Duration
	// Now makes the nonce that tells this command from earlier ones.
	Now func() time.Time
}

// SendCommand writes "<verb>/<nonce>" into the meshcanary.io/command
// annotation of the Deployment with a JSON merge patch, then waits until
// the controller acknowledges exactly that value in status.commandAck, and
// prints the resulting status. A command the controller ignored (it does
// not apply in the current phase) is an error saying why, when the
// controller's CommandIgnored event is found.
func SendCommand(ctx context.Context, cl Clients, out io.Writer, o CommandOptions) error {
	if _, err := stepper.ParseCommand(o.Verb); err != nil || strings.Contains(o.Verb, "/") {
		return fmt.Errorf("command %q: want one of promote, abort, retry, pause, resume", o.Verb)
	}
	ref := o.Namespace + "/" + o.Name
	before, value, err := writeCommand(ctx, cl, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "deployment %s: %s=%s written, waiting for the controller\n", ref, config.CommandAnnotation, value)

	waitCtx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	c, acked, err := waitForAck(waitCtx, cl, o.Namespace, o.Name, value)
	if err != nil {
		if waitCtx.Err() != nil && ctx.Err() == nil {
			return ackTimeout(o, value, ref)
		}
		return err
	}
	if reason, ignored := ignoredBecause(ctx, cl.Kube, acked, value, !sameStatus(before, c)); ignored {
		return fmt.Errorf("the controller acknowledged %s but did nothing: %s", value, reason)
	}
	cells := rowCells(c, time.Time{})
	fmt.Fprintf(out, "deployment %s: %s acknowledged: phase %s, step %s, weight %s\n", ref, o.Verb, cells[2], cells[3], cells[4])
	if c.Status != nil && c.Status.Message != "" {
		fmt.Fprintf(out, "  %s: %s\n", c.Status.Reason, c.Status.Message)
	}
	return nil
}

// writeCommand checks that the Deployment is a canary and writes the
// command into its annotation. It returns the canary as it was before and
// the value written.
func writeCommand(ctx context.Context, cl Clients, o CommandOptions) (Canary, string, error) {
	ref := o.Namespace + "/" + o.Name
	deployments := cl.Kube.AppsV1().Deployments(o.Namespace)
	before, err := deployments.Get(ctx, o.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return Canary{}, "", fmt.Errorf("deployment %s not found", ref)
	}
	if err != nil {
		return Canary{}, "", fmt.Errorf("getting deployment %s: %w", ref, err)
	}
	if !optedIn(before) {
		return Canary{}, "", fmt.Errorf("deployment %s is not a canary: it lacks the label %s=%s", ref, config.EnabledLabel, config.EnabledValue)
	}
	vss, err := listVirtualServices(ctx, cl, o.Namespace)
	if err != nil {
		return Canary{}, "", err
	}
	slots, err := listSlots(ctx, cl, o.Namespace, o.Name)
	if err != nil {
		return Canary{}, "", err
	}
	value := o.Verb + "/" + strconv.FormatInt(o.Now().UnixNano(), 10)
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{config.CommandAnnotation: value}}})
	if err != nil {
		return Canary{}, "", fmt.Errorf("encoding the patch: %w", err)
	}
	if _, err := deployments.Patch(ctx, o.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: "meshcanary-cli"}); err != nil {
		return Canary{}, "", fmt.Errorf("writing %s=%s on deployment %s: %w", config.CommandAnnotation, value, ref, err)
	}
	return CanaryOf(before, vss, slots), value, nil
}

// ackTimeout is the error of a command that was not acknowledged in time,
// naming what to check.
func ackTimeout(o CommandOptions, value, ref string) error {
	return fmt.Errorf(`the controller did not acknowledge %s=%s on deployment %s within %s; check
  - that the meshcanary controller runs and one replica leads: kubectl get pods -A -l app.kubernetes.io/name=meshcanary
    (the Lease "meshcanary" in the controller's namespace names the leader),
  - that it watches namespace %s: its --namespaces flag, the chart's watchNamespaces value,
  - its log: kubectl logs -n <controller namespace> deploy/meshcanary,
  - the deployment's events: kubectl describe deployment -n %s %s.
The annotation stays: the controller acts on it when it next reconciles the deployment`,
		config.CommandAnnotation, value, ref, o.Timeout, o.Namespace, o.Namespace, o.Name)
}

// errDeleted is returned when the Deployment goes away during the wait.
var errDeleted = errors.New("deployment deleted while waiting for the controller")

// waitForAck waits until status.commandAck of the Deployment is value and
// returns the canary and its Deployment as they were then.
func waitForAck(ctx context.Context, cl Clients, ns, name, value string) (Canary, *appsv1.Deployment, error) {
	var acked Canary
	var ackedD *appsv1.Deployment
	err := watchCanaries(ctx, cl, ns, name, func(c Canary, d *appsv1.Deployment, gone bool) (bool, error) {
		if gone {
			return false, errDeleted
		}
		if c.Status != nil && c.Status.CommandAck == value {
			acked, ackedD = c, d
			return true, nil
		}
		return false, nil
	})
	if ackedD != nil {
		return acked, ackedD, nil
	}
	if err == nil {
		err = ctx.Err()
	}
	return Canary{}, nil, fmt.Errorf("waiting for %s to be acknowledged: %w", value, err)
}

// ignoredBecause looks for the Warning event by which the controller said
// it ignored the command value, and returns its message. Events reach the
// API asynchronously, so unless the status shows the command changed
// something (changed), it polls for the event for up to eventGrace.
func ignoredBecause(ctx context.Context, kube kubernetes.Interface, d *appsv1.Deployment, value string, changed bool) (reason string, ignored bool) {
	quoted := strconv.Quote(value)
	find := func(ctx context.Context) (bool, error) {
		events, err := kube.CoreV1().Events(d.Namespace).List(ctx, metav1.ListOptions{
			FieldSelector: "involvedObject.kind=Deployment,involvedObject.name=" + d.Name,
		})
		if err != nil {
			return false, err
		}
		for _, e := range events.Items {
			rejected := e.Reason == stepper.ReasonCommandIgnored || e.Reason == stepper.ReasonInvalidCommand
			if rejected && e.InvolvedObject.Name == d.Name && strings.Contains(e.Message, quoted) {
				reason, ignored = e.Message, true
			}
		}
		return ignored || changed, nil
	}
	_ = wait.PollUntilContextTimeout(ctx, eventPoll, eventGrace, true, find)
	return reason, ignored
}

// eventGrace bounds the wait for a CommandIgnored event; eventPoll is the
// interval of the polls.
const (
	eventGrace = 3 * time.Second
	eventPoll  = 200 * time.Millisecond
)

// sameStatus reports whether the status of a and b is the same but for the
// acknowledgement.
func sameStatus(a, b Canary) bool {
	if a.Status == nil || b.Status == nil {
		return false
	}
	sa, sb := *a.Status, *b.Status
	sa.CommandAck = sb.CommandAck
	return reflect.DeepEqual(sa, sb)
}
