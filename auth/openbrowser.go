package auth

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
)

// ErrNoBrowser means no browser can be started here (no display, no opener): show the URL instead.
var ErrNoBrowser = errors.New("no browser is available on this machine")

// OpenBrowser starts the desktop's browser on url without a shell, and does not wait for it.
func OpenBrowser(url string) error {
	var name string
	var args []string
	switch runtime.GOOS {
	case "darwin":
		name, args = "open", []string{url}
	case "windows":
		name, args = "rundll32", []string{"url.dll,FileProtocolHandler", url}
	case "linux", "freebsd", "openbsd", "netbsd":
		// Over SSH or on a console there is no display, and xdg-open would start a text browser.
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return ErrNoBrowser
		}
		name, args = "xdg-open", []string{url}
	default:
		return ErrNoBrowser
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return ErrNoBrowser
	}
	cmd := exec.Command(path, args...)
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}
