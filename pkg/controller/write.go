package controller

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
)

var (
	createOpts = metav1.CreateOptions{FieldManager: config.FieldManager}
	updateOpts = metav1.UpdateOptions{FieldManager: config.FieldManager}
)

// objectClient is the create and update of one kind of object, as its
// typed client has them (DeploymentInterface, VirtualServiceInterface, …).
type objectClient[O any] interface {
	Create(ctx context.Context, obj *O, opts metav1.CreateOptions) (*O, error)
	Update(ctx context.Context, obj *O, opts metav1.UpdateOptions) (*O, error)
}

// upsert makes desired true through client: it creates it when live is
// nil, updates it when live differs (equal, when not nil, reports whether
// live already is desired), and writes nothing otherwise. It returns the
// object as written, nil when nothing was. A write is counted (see
// counted) only when the API server accepted it; its error names what was
// written (what: "primary web-primary") and wraps the API's.
func upsert[O any](ctx context.Context, c *Controller, client objectClient[O], kind, what string, live, desired *O, equal func(live, desired *O) bool) (*O, error) {
	if live == nil {
		out, err := client.Create(ctx, desired, createOpts)
		if err := c.counted(kind, "create", err); err != nil {
			return nil, fmt.Errorf("creating %s: %w", what, err)
		}
		return out, nil
	}
	if equal != nil && equal(live, desired) {
		return nil, nil
	}
	out, err := client.Update(ctx, desired, updateOpts)
	if err := c.counted(kind, "update", err); err != nil {
		return nil, fmt.Errorf("updating %s: %w", what, err)
	}
	return out, nil
}

// remove deletes the object name through del, counting the delete only
// when it succeeded; an object already gone is no error (and no write).
func (c *Controller) remove(ctx context.Context, kind, what, name string, del func(context.Context, string, metav1.DeleteOptions) error) error {
	if err := ignoreNotFound(c.counted(kind, "delete", del(ctx, name, metav1.DeleteOptions{}))); err != nil {
		return fmt.Errorf("deleting %s: %w", what, err)
	}
	return nil
}

// counted counts one API write of kind by verb in
// meshcanary_api_writes_total when it succeeded (err is nil), and returns
// err: an attempt the API server refused (a conflict, a fenced client, a
// validation error) changed nothing and is not a write.
func (c *Controller) counted(kind, verb string, err error) error {
	if err == nil {
		c.metrics.Writes.WithLabelValues(kind, verb).Inc()
	}
	return err
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
