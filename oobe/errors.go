package oobe

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/oobe-dev/oobe/auth"
	"github.com/oobe-dev/oobe/restore"
	"github.com/oobe-dev/oobe/restore/graph"
)

// Texts the setup shows, as Windows words them (domain.md §4).
const (
	// ESPErrorText is the Enrollment Status Page's default error message.
	ESPErrorText = "Setup could not be completed. Please try again or contact your support person for help."
	// NoInternetText is what setup shows when the network drops after "Let's connect you to a network".
	NoInternetText = "Oops, you've lost internet connection. Let's connect you to a network to continue setting up your device."
)

// Error codes of failures Windows shows without a code of its own, and of the ESP's failures.
const (
	CodeNetworkLost        = "networkLost"
	CodeNetworkUnavailable = "networkUnavailable" // a secured Wi-Fi network refused the passphrase three times
	CodeESPAppInstall      = "0x81036502"         // the ESP's "an app failed to install"
	CodeESPTimeout         = "0x800705B4"         // ERROR_TIMEOUT, what the ESP shows when it times out
	CodeRestoreApplyFailed = "restoreApplyFailed"
	CodeNoIntuneLicense    = "noIntuneLicense"
)

// Where Microsoft documents the enrollment errors.
const (
	sourceEnrollErrors = "Intune, Troubleshooting Windows device enrollment errors (learn.microsoft.com/troubleshoot/mem/intune/device-enrollment/troubleshoot-windows-enrollment-errors)"
	sourceMDMErrors    = "Windows, MDM enrollment error codes, MENROLL_E_USERLICENSE (learn.microsoft.com/windows/win32/mdmreg/mdm-registration-constants)"
)

// enrollmentErrors is every enrollment error of domain.md §4, at the stage a user meets it.
var enrollmentErrors = []EnrollmentError{
	{Code: "0x80180014", Stage: StageEnrollment, Item: itemRegisterMDM,
		Message: "There was a problem. Your organization does not support this version of Windows. (0x80180014)",
		Cause:   "Windows (MDM) enrollment is blocked by an enrollment restriction. In Intune, allow Windows (MDM) in the device platform restriction. " + sourceEnrollErrors},
	{Code: "0x80180018", Stage: StageEnrollment, Item: itemRegisterMDM,
		Message: "Something went wrong. Confirm you are using the correct sign-in information and that your organization uses this feature. You can try to do this again or contact your system administrator with the error code 80180018.",
		Cause:   "MENROLL_E_USERLICENSE: the user's license blocks enrollment (no Intune or Entra ID P1 license, or the user reached the device limit). Assign a license or raise the device limit. " + sourceMDMErrors},
	{Code: "0x8018000A", Stage: StageEnrollment, Item: itemRegisterMDM,
		Message: "Something went wrong. The device is already enrolled. You can contact your system administrator with the error code 8018000a.",
		Cause:   "Another user already enrolled this device in Intune or joined it to Microsoft Entra ID. Remove that work or school account (or the device record) and enroll again. " + sourceEnrollErrors},
	{Code: "0x80180022", Stage: StageEnrollment, Item: itemRegisterMDM,
		Message: "Something went wrong. Autopilot device enrollment failed with error HRESULT = 0x80180022.",
		Cause:   "The device runs Windows Home edition, which cannot enroll. Upgrade it to Pro or higher. " + sourceEnrollErrors},
	{Code: "0x801C03EA", Stage: StageEnrollment, Item: itemRegisterMDM,
		Message: "Registering your device for mobile management (Failed: 3, 0x801C03EA).",
		Cause:   "The device's TPM supports version 2.0 but has not been upgraded to it; or the device is in two groups with different Autopilot profiles. " + sourceEnrollErrors},
	{Code: "0x800705B4", Stage: StageEnrollment, Item: itemSecureHardware,
		Message: "Securing your hardware (Failed: 0x800705b4)",
		Cause:   "The device has no physical TPM 2.0 (virtual TPMs and TPM 1.2 do not work), which self-deploying and pre-provisioning need. " + sourceEnrollErrors},
	{Code: "OOBEIDPS", Stage: StageSignIn,
		Message: "Something went wrong. OOBEIDPS.",
		Cause:   "A proxy, firewall or other network device blocks the identity provider. Allow the Autopilot network endpoints. " + sourceEnrollErrors},
	{Code: CodeNoIntuneLicense, Stage: StageESP,
		Message: ESPErrorText,
		Cause:   `The user has no Intune license: the Enrollment Status Page shows "Identifying" until it times out. Assign the user an Intune license.`},
}

// EnrollmentErrors returns every enrollment error a fault can raise, with its real code and
// text and the stage where a user meets it.
func EnrollmentErrors() []EnrollmentError {
	return append([]EnrollmentError(nil), enrollmentErrors...)
}

// LookupEnrollmentError finds an enrollment error by its code, as Windows or a ticket writes
// it: with or without 0x, in either case ("8018000a" is 0x8018000A).
func LookupEnrollmentError(code string) (EnrollmentError, bool) {
	want := normalizeCode(code)
	for _, e := range enrollmentErrors {
		if normalizeCode(e.Code) == want {
			return e, true
		}
	}
	return EnrollmentError{}, false
}

func normalizeCode(code string) string {
	c := strings.ToLower(strings.TrimSpace(code))
	return strings.TrimPrefix(c, "0x")
}

// cloudFailure turns an error from SignIn or Cloud into the failure the run ends with: what
// was being done, the error's own text, and a code a scenario can assert on (AADSTS number,
// Entra error code or HTTP status).
func cloudFailure(doing string, err error) *stageFailure {
	return &stageFailure{text: doing + ": " + err.Error(), code: ErrorCode(err), err: err}
}

// ErrorCode is the code a run reports for an error from sign-in or the cloud: "AADSTS50126"
// when Entra gave an AADSTS number, else Entra's (or auth's) error code; "HTTP 503" for a
// Graph error; "" for anything else.
func ErrorCode(err error) string {
	var se *auth.SignInError
	if errors.As(err, &se) {
		if se.AADSTS != 0 {
			return fmt.Sprintf("AADSTS%d", se.AADSTS)
		}
		return se.Code
	}
	var ge *graph.Error
	if errors.As(err, &ge) {
		return fmt.Sprintf("HTTP %d", ge.Status)
	}
	return ""
}

// RestoreAccessRefusal reads an error from Cloud.RestoreAccess as Conditional Access's answer:
// a policy that blocks the restore app (AADSTS 53000–53003, 530032, or access_denied), or an
// MFA demand the user cannot meet during setup (AADSTS 50072, 50074, 50076, 50079, 53004, or
// interaction_required). ok is false for any other error — a network failure, throttling, an
// expired grant — which is a failure of the run, not an answer about access.
func RestoreAccessRefusal(err error) (access restore.Access, ok bool) {
	var se *auth.SignInError
	if !errors.As(err, &se) {
		return restore.Access{}, false
	}
	switch se.AADSTS {
	case 53000, 53001, 53002, 53003, 530032:
		return restore.Access{Blocked: true}, true
	case 50072, 50074, 50076, 50079, 53004:
		return restore.Access{PhishingResistantMFA: true}, true
	}
	switch se.Code {
	case auth.CodeAccessDenied:
		return restore.Access{Blocked: true}, true
	case auth.CodeInteractionRequired:
		return restore.Access{PhishingResistantMFA: true}, true
	}
	return restore.Access{}, false
}

// pageOf is a URL without its query and fragment: enough to say where a browser went,
// without the state, nonce or PKCE challenge of a sign-in request.
func pageOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "the sign-in page"
	}
	return u.Scheme + "://" + u.Host + u.Path
}
