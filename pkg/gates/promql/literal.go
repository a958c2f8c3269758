package promql

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// String renders s as a PromQL string literal. The result is always one
// complete double-quoted literal, whatever s holds: quotes, backslashes,
// braces, newlines and invalid UTF-8 are escaped.
func String(s string) string { return strconv.Quote(s) }

// Duration renders d as a PromQL duration literal: whole seconds ("90s"),
// or milliseconds ("1500ms") when d is not a whole number of seconds. A
// duration below one millisecond renders as "1ms", since PromQL has no
// zero or negative duration literal.
func Duration(d time.Duration) string {
	if d < time.Millisecond {
		d = time.Millisecond
	}
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(int64((d+time.Millisecond-1)/time.Millisecond), 10) + "ms"
}

// podNameAlphabet is the alphabet of the pod-template-hash and of the
// random suffix that Kubernetes gives a ReplicaSet's pods
// (k8s.io/apimachinery/pkg/util/rand).
const podNameAlphabet = "[bcdfghjklmnpqrstvwxz2456789]"

// PodRegex is the regular expression (unquoted, anchored by PromQL) that
// matches the pods of Deployment name: "<name>-<template hash>-<suffix>".
// For a Deployment "app" it does not match the primary's pods,
// "app-primary-<hash>-<suffix>", which have one dash-separated part more.
func PodRegex(deployment string) string {
	return regexp.QuoteMeta(strings.ToValidUTF8(deployment, "\uFFFD")) + "-" + podNameAlphabet + "{1,10}-" + podNameAlphabet + "{5}"
}
