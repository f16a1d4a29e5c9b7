// Command oobe simulates and drives the Windows Autopilot setup with Windows Backup
// for Organizations restore. This file wires the CLI; the work lives in the packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"charm.land/fang/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/spf13/cobra"

	"github.com/oobe-dev/oobe/clock"
	"github.com/oobe-dev/oobe/internal/printable"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// exitError carries a process exit code other than 1 through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// errQuiet ends a command with its exit code and no message: it has said everything already.
var errQuiet = errors.New("")

// badInput marks an error as the caller's mistake (exit 2).
func badInput(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// streams are where a command writes: results on out, people-facing progress on errOut.
type streams struct {
	in     io.Reader
	out    io.Writer
	errOut io.Writer

	// getenv and clock are the process's environment and the wall clock when nil, as main
	// leaves them. Tests running the CLI in-process give each run its own, so runs can go in
	// parallel (no process-wide environment) and a sign-in's polls need not wait real seconds.
	getenv func(string) string
	clock  clock.Clock

	// stdout is out before run put it behind the printable filter: what a command asks whether
	// it writes to a terminal, to colour its own output (the filter lets colours through).
	stdout io.Writer
}

// colors is a writer to out that keeps the colours of a command's own output when stdout is a
// terminal that shows them (NO_COLOR, CLICOLOR and TERM respected), and drops them otherwise.
func (s streams) colors() *colorprofile.Writer {
	tty := s.stdout
	if tty == nil {
		tty = s.out
	}
	return &colorprofile.Writer{Forward: s.out, Profile: colorprofile.Detect(tty, os.Environ())}
}

// env is the environment variable key as this run sees it.
func (s streams) env(key string) string {
	if s.getenv == nil {
		return os.Getenv(key)
	}
	return s.getenv(key)
}

// userConfigDir is os.UserConfigDir; a run given its own environment (a test's) has it at
// that environment's XDG_CONFIG_HOME instead, on every platform.
func (s streams) userConfigDir() (string, error) {
	if dir := s.env("XDG_CONFIG_HOME"); s.getenv != nil && dir != "" {
		return dir, nil
	}
	return os.UserConfigDir()
}

func newRoot(s streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "oobe",
		Short: "Simulate and drive Windows Autopilot setup with Windows Backup for Organizations restore",
		Long: `oobe walks through a Windows Autopilot user-driven enrollment and the
Windows Backup for Organizations restore page, against an embedded simulated
Microsoft tenant (an Entra-shaped OIDC issuer and a Graph-shaped API on
127.0.0.1) or against a real Entra ID tenant.`,
		Example: `# Walk through the setup and restore in the terminal UI (the demo tenant):
oobe

# The same, advancing by itself for an unattended demo:
oobe --demo

# Serve the simulated tenant and print its URLs:
oobe serve

# Sign in to the embedded demo tenant with the device code flow:
oobe signin

# Sign in to a real tenant in a browser:
oobe signin --flow browser --client-id <app-id> \
  --authority https://login.microsoftonline.com/<tenant-guid>`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
	}
	var o runOptions
	root.RunE = func(cmd *cobra.Command, _ []string) error { return runTUI(cmd.Context(), s, o) }
	addRunFlags(root, &o)
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.errOut)
	root.AddCommand(newVersionCmd(s), newServeCmd(s), newSigninCmd(s))
	root.AddCommand(newBackupsCmd(s), newAdminCmd(s))
	root.AddCommand(newDeviceCmd(s))
	root.AddCommand(newCheckCmd(s))
	root.AddCommand(newBackupCmd(s), newRestoreCmd(s))
	root.AddCommand(newReplayCmd(s))
	root.AddCommand(newRunCmd(s))
	return root
}

// printError shows err verbatim: fang's default handler title-cases words, which would
// turn a path like /tmp/broken.yaml into /Tmp/Broken.yaml in a message meant to name it.
func printError(w io.Writer, styles fang.Styles, err error) {
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(w, "Interrupted.")
		return
	}
	if errors.Is(err, errQuiet) {
		return
	}
	// An error may carry outside text (a tenant's error description, a file's field).
	msg := printable.String(err.Error())
	if cw, ok := w.(*colorprofile.Writer); ok && cw.Profile <= colorprofile.NoTTY {
		fmt.Fprintf(w, "oobe: %s\n", msg)
		return
	}
	fmt.Fprintf(w, "%s %s\n", styles.ErrorHeader.UnsetMargins().String(), styles.ErrorText.UnsetTransform().UnsetWidth().UnsetMargins().Render(msg))
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], streams{in: os.Stdin, out: os.Stdout, errOut: os.Stderr}))
}

// run executes the CLI and returns the process exit code.
func run(ctx context.Context, args []string, s streams) int {
	if !wantsHelp(args) && !completing(args) {
		// Commands print outside data — backups' names, a device's files, a tenant's answers —
		// as plain text on stdout: a control character in it is shown escaped, never obeyed.
		pw := printable.NewWriter(s.out)
		defer pw.Flush()
		s.stdout, s.out = s.out, pw
	}
	root := newRoot(s)
	root.SetArgs(args)
	if wantsHelp(args) {
		fitHelp(root, helpWidth())
	}
	err := fang.Execute(ctx, root,
		fang.WithVersion(version),
		fang.WithNotifySignal(os.Interrupt, syscall.SIGTERM),
		fang.WithErrorHandler(printError),
	)
	if err == nil {
		return 0
	}
	if errors.Is(err, context.Canceled) {
		return 130
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if isUsageError(err) {
		return 2
	}
	return 1
}

// completing reports whether args ask for a shell completion script or its answers, which
// are the shell's to read, not a person's.
func completing(args []string) bool {
	return len(args) > 0 && (args[0] == "completion" || strings.HasPrefix(args[0], "__complete"))
}

// isUsageError reports whether cobra refused the command line itself (an unknown command or
// flag, a bad flag value, wrong arguments): bad input, exit 2.
func isUsageError(err error) bool {
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "requires at most", "bad flag syntax"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}
