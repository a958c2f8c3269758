package istio

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
)

// ErrNotFound is wrapped by FindVirtualService when the VirtualService named
// by configuration does not exist.
var ErrNotFound = errors.New("not found")

// ErrAmbiguous is wrapped by the Find functions when more than one object
// qualifies.
var ErrAmbiguous = errors.New("ambiguous")

// FindVirtualService picks the VirtualService to patch for t among all. With
// a name, it is the one of that name in t's namespace (ErrNotFound if
// none). Without, it is the only one in t's namespace whose hosts include the
// service or that is already marked as routing for t's Deployment; none
// gives nil, nil and more than one an error wrapping ErrAmbiguous that names
// them.
func FindVirtualService(all []*networkingv1.VirtualService, t Target, name string) (*networkingv1.VirtualService, error) {
	if name != "" {
		for _, vs := range all {
			if vs.Namespace == t.Namespace && vs.Name == name {
				return vs, nil
			}
		}
		return nil, fmt.Errorf("VirtualService %s/%s: %w", t.Namespace, name, ErrNotFound)
	}
	var found []*networkingv1.VirtualService
	for _, vs := range all {
		if vs.Namespace == t.Namespace && (servesHost(vs, t) || routesFor(vs.ObjectMeta, t)) {
			found = append(found, vs)
		}
	}
	return only(found, "VirtualServices", t, func(vs *networkingv1.VirtualService) string { return vs.Name })
}

// servesHost reports whether vs's hosts include the service.
func servesHost(vs *networkingv1.VirtualService, t Target) bool {
	return slices.ContainsFunc(vs.Spec.Hosts, func(h string) bool { return MatchesHost(h, t) })
}

// FindDestinationRule picks the DestinationRule for the service among all:
// the only one in t's namespace whose host is the service. None gives nil,
// nil and more than one an error wrapping ErrAmbiguous that names them.
func FindDestinationRule(all []*networkingv1.DestinationRule, t Target) (*networkingv1.DestinationRule, error) {
	var found []*networkingv1.DestinationRule
	for _, dr := range all {
		if dr.Namespace == t.Namespace && MatchesHost(dr.Spec.Host, t) {
			found = append(found, dr)
		}
	}
	return only(found, "DestinationRules", t, func(dr *networkingv1.DestinationRule) string { return dr.Name })
}

// only returns the single element of found, nil when empty, or an error
// naming every element.
func only[T any](found []*T, kind string, t Target, name func(*T) string) (*T, error) {
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		return found[0], nil
	}
	names := make([]string, len(found))
	for i, o := range found {
		names[i] = name(o)
	}
	slices.Sort(names)
	return nil, fmt.Errorf("%d %s in namespace %s are for service %s (%s): %w",
		len(found), kind, t.Namespace, t.Service, strings.Join(names, ", "), ErrAmbiguous)
}
