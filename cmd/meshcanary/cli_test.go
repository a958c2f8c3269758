package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEveryOperatorCommandHasHelpWithExamples(t *testing.T) {
	for _, cmd := range newCLICommands() {
		if cmd.Short == "" || cmd.Long == "" || !strings.Contains(cmd.Example, "meshcanary "+cmd.Name()) {
			t.Errorf("%s: want Short, Long and an Example running it", cmd.Name())
		}
	}
}

// run runs the root command with args and stdin, returning stdout and the error.
func run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	root := newRootCommand()
	var out bytes.Buffer
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&out)
	err := root.Execute()
	return out.String(), err
}

func TestLintExitsWithAnErrorOnProblems(t *testing.T) {
	manifest, err := os.ReadFile("../../pkg/cli/testdata/lint.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		stdin, want string
	}{
		"problems are an error":       {string(manifest), "6 problem(s) found"},
		"no Deployment is an error":   {"apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n", "no Deployment (apps/v1) in the files"},
		"a clean Deployment succeeds": {strings.Split(string(manifest), "---")[0], ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := run(t, tc.stdin, "lint", "-f", "-")
			if got := errString(err); got != tc.want {
				t.Errorf("got error %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRenderReadsFilesAndStdin(t *testing.T) {
	out, err := run(t, "", "render", "-n", "shop", "-f", "../../pkg/cli/testdata/reviews-app.yaml", "--pod-template-hash", "abc123")
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	if !strings.HasPrefix(out, "# deployment shop/reviews: service reviews, 3 steps of 2m0s\n") ||
		!strings.Contains(out, "pod-template-hash: abc123") || strings.Count(out, "# step ") != 8 {
		t.Errorf("unexpected output:\n%s", out)
	}
}

func TestCompletionPrintsAScriptPerShell(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		out, err := run(t, "", "completion", shell)
		if err != nil || !strings.Contains(out, "meshcanary") {
			t.Errorf("%s: error %v, %d bytes", shell, err, len(out))
		}
	}
	if _, err := run(t, "", "completion", "tcsh"); err == nil {
		t.Error("tcsh was accepted")
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestCommandsOnTheClusterReadTheKubeconfigFirst(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "config")
	// A server nobody listens on: the commands below fail before any request.
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: shop}}]
current-context: x
`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		args []string
		want string
	}{
		"a missing kubeconfig is named": {[]string{"promote", "web", "--kubeconfig", kubeconfig + ".missing"}, "loading kubeconfig"},
		"status by name across all namespaces is refused": {[]string{"status", "-A", "web", "--kubeconfig", kubeconfig},
			"a canary cannot be shown by name across all namespaces"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := run(t, "", tc.args...)
			if !strings.Contains(errString(err), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}
