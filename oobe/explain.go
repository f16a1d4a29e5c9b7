package oobe

import (
	"strconv"
	"strings"

	"github.com/oobe-dev/oobe/auth"
)

// Explanation is what an error code means and what the person at the PC does about it, in
// the words every driver shows: the terminal UI, the accessible mode and the summaries.
type Explanation struct {
	Meaning string `json:"meaning"`
	Todo    string `json:"todo"`
}

// Explain explains an error code a run can end with (Outcome.ErrorCode): the enrollment
// errors (EnrollmentErrors), the sign-in errors (auth's codes and Entra's AADSTS numbers),
// Graph's HTTP statuses and the flow's own codes. ok is false for a code it does not know:
// a driver then shows the error's own text only.
func Explain(code string) (e Explanation, ok bool) {
	meaning, todo, ok := explain(code)
	return Explanation{Meaning: meaning, Todo: todo}, ok
}

// ExplainEnded is ExplainError for the error a run ended on, after the person's choice: what
// to do no longer offers the failure's buttons.
func ExplainEnded(text, code string) (Explanation, bool) {
	if h, found := flowErrorHelp[strings.ToLower(strings.TrimSpace(code))]; found && espChoose[strings.ToLower(strings.TrimSpace(code))] != "" {
		if _, enrollment := LookupEnrollmentError(code); !enrollment || !isEnrollmentMessage(text, code) {
			return Explanation{Meaning: h.meaning, Todo: h.todo + " Then start setup again."}, true
		}
	}
	return ExplainError(text, code)
}

func isEnrollmentMessage(text, code string) bool {
	e, found := LookupEnrollmentError(code)
	return found && e.Message == text
}

// ExplainError is Explain for an error as the person saw it: an enrollment error shown with
// its own message is explained by that error's cause, even where its code is shared (the
// ESP's timeout and "Securing your hardware" are both 0x800705B4).
func ExplainError(text, code string) (Explanation, bool) {
	if e, found := LookupEnrollmentError(code); found && e.Message == text {
		return Explanation{Meaning: e.Cause, Todo: enrollmentTodoFor(e)}, true
	}
	return Explain(code)
}

func explain(code string) (meaning, todo string, ok bool) {
	code = strings.TrimSpace(code)
	if code == "" {
		return "", "", false
	}
	if h, found := flowErrorHelp[strings.ToLower(code)]; found {
		if choose := espChoose[strings.ToLower(code)]; choose != "" {
			return h.meaning, choose + " " + h.todo, true
		}
		return h.meaning, h.todo, true
	}
	if e, found := LookupEnrollmentError(code); found {
		return e.Cause, enrollmentTodoFor(e), true
	}
	if rest, found := strings.CutPrefix(strings.ToUpper(code), "AADSTS"); found {
		n, err := strconv.Atoi(rest)
		if err != nil {
			return "", "", false
		}
		h, found := aadstsHelp[n]
		return h.meaning, h.todo, found
	}
	if rest, found := strings.CutPrefix(code, "HTTP "); found {
		n, err := strconv.Atoi(rest)
		if err != nil {
			return "", "", false
		}
		return graphHelp(n)
	}
	if h, found := signInCodeHelp[code]; found {
		return h.meaning, h.todo, true
	}
	return "", "", false
}

// enrollmentTodoFor is what the person at the PC does about an enrollment error.
func enrollmentTodoFor(e EnrollmentError) string {
	if todo := enrollmentTodo[strings.ToUpper(strings.TrimPrefix(strings.ToLower(e.Code), "0x"))]; todo != "" {
		return todo
	}
	return "Tell your IT support the error code " + e.Code + "; they fix it in Intune or Microsoft Entra ID, then you start setup again."
}

type codeHelp struct{ meaning, todo string }

// espChoose is, for the ESP's errors, what the person does while the failure asks (Continue
// anyway or Reset device): it leads the code's todo there, and is left out once the choice is
// made (ExplainEnded).
var espChoose = map[string]string{
	strings.ToLower(CodeESPAppInstall): "Choose Continue anyway to reach the desktop, or Reset device to start over.",
	strings.ToLower(CodeESPTimeout):    "Choose Continue anyway or Reset device.",
}

const (
	todoSignInAgain = "Start setup again and sign in once more."
	todoAskAdmin    = "Tell your IT support the error code and the time it happened; the sign-in logs in the Microsoft Entra admin center show the details."
	todoReportBug   = "This is a problem in the setup program, not in your account. Report it with the error code and the collected logs."
)

// flowErrorHelp covers the flow's own codes and the ESP's (oobe/errors.go). 0x800705B4 is both
// the ESP's timeout and the enrollment error "Securing your hardware (Failed: 0x800705b4)":
// its entry explains both.
var flowErrorHelp = map[string]codeHelp{
	strings.ToLower(CodeNetworkLost): {
		meaning: "The PC lost its internet connection during setup. Setup needs the network to reach Microsoft Entra ID, Intune and your backups.",
		todo:    "Check the cable or Wi-Fi, then start setup again and connect to a network that reaches the internet.",
	},
	strings.ToLower(CodeNetworkUnavailable): {
		meaning: "The secured Wi-Fi network needs a passphrase, and none was given in three tries.",
		todo:    "Start setup again and type the network's passphrase, or plug in a network cable.",
	},
	strings.ToLower(CodeESPAppInstall): {
		meaning: "An app that Intune assigned to this device or user failed to install while the Enrollment Status Page was tracking it.",
		todo:    "Your IT support can see which app failed in the Intune admin center (the device's Managed apps) and in the collected logs.",
	},
	strings.ToLower(CodeESPTimeout): {
		meaning: "ERROR_TIMEOUT. On the Enrollment Status Page it means a phase did not finish before the ESP profile's timeout (60 minutes by default): an app or policy still installing, or a user without an Intune license whose rows stay \"Identifying\". During Device preparation, \"Securing your hardware (Failed: 0x800705b4)\" means the device has no physical TPM 2.0, which self-deploying and pre-provisioning need.",
		todo:    "Your IT support can raise the ESP timeout, check what was still installing in the collected logs, assign the user an Intune license, or use a device with TPM 2.0.",
	},
	strings.ToLower(CodeRestoreApplyFailed): {
		meaning: "Windows could not restore the settings and apps from the previous PC's backup. Nothing was changed on this PC; Intune records the restore as Failed.",
		todo:    "Use the PC as it is: your apps can be installed from the Microsoft Store and your settings changed in Settings. Your IT support can look at the restore report in Intune.",
	},
}

// enrollmentTodo is what the person at the PC does about each enrollment error; what the admin
// changes is in the error's Cause.
var enrollmentTodo = map[string]string{
	"80180014":        "Tell your IT support the error code 0x80180014: an administrator has to allow Windows (MDM) enrollment for you. Then start setup again.",
	"80180018":        "Tell your IT support the error code 80180018: they assign you an Intune license or remove one of your older devices. Then start setup again.",
	"8018000A":        "Tell your IT support the error code 8018000a: the device's old record or the other account has to be removed first. Then start setup again.",
	"80180022":        "This PC runs Windows Home. Upgrade it to Windows Pro or higher (or ask your IT support for another PC), then start setup again.",
	"801C03EA":        "Tell your IT support the error code 0x801C03EA: they check the device's TPM firmware and its Autopilot group membership. Then start setup again.",
	"800705B4":        "Tell your IT support the error code 0x800705B4: this setup needs a device with a physical TPM 2.0.",
	"OOBEIDPS":        "Connect to another network (for example a phone's hotspot) or ask your IT support to allow the Autopilot endpoints through the proxy or firewall, then start setup again.",
	"NOINTUNELICENSE": "Ask your IT support to assign you an Intune license, then start setup again.",
}

// signInCodeHelp is auth's codes: Entra's error values and the client's own, for an error
// without an AADSTS number.
var signInCodeHelp = map[string]codeHelp{
	auth.CodeAuthorizationPending: {"The sign-in was still waiting for the code to be entered on the other device when setup stopped.", todoSignInAgain},
	auth.CodeSlowDown:             {"Entra asked setup to check less often whether the sign-in was done.", todoSignInAgain},
	auth.CodeAuthorizationDeclined: {"The sign-in was declined on the verification page: someone chose not to approve it.",
		"Start setup again and approve the sign-in. If you did not start this sign-in, tell your IT support."},
	auth.CodeExpiredToken: {"The sign-in code expired before the sign-in was approved: codes last 15 minutes.",
		"Start setup again, go to the verification page on another device and enter the new code before it expires."},
	auth.CodeBadVerificationCode: {"Entra did not recognise the code that was entered, or it was already used.",
		"Start setup again and type the new code exactly as the screen shows it."},
	auth.CodeAccessDenied: {"The sign-in was cancelled, or permission for the setup app was refused.",
		"Start setup again and accept. If your organization must approve the app first, ask your IT support to grant consent."},
	auth.CodeInvalidGrant: {"The sign-in grant is no longer valid: it was already used, expired or revoked.", todoSignInAgain},
	auth.CodeInvalidClient: {"Entra refused the setup app itself: its registration does not allow this kind of sign-in.",
		"Tell your IT support: the app registration must allow public client flows."},
	auth.CodeUnauthorizedClient: {"The setup app is not known in your organization's tenant, or may not use this sign-in flow.",
		"Tell your IT support: the app must be registered (and consented) in your tenant."},
	auth.CodeInvalidTenant: {"Your organization's tenant was not found.",
		"Tell your IT support: the tenant named in the setup configuration does not exist or has no active subscription."},
	auth.CodeInvalidRequest: {"Entra rejected the sign-in request as malformed.", todoReportBug},
	auth.CodeInvalidScope: {"The setup app asked for permissions it may not request.",
		"Tell your IT support: check the app registration's API permissions."},
	auth.CodeInteractionRequired: {"Entra needs you to sign in interactively: multifactor authentication, consent or a policy.", todoSignInAgain},
	auth.CodeConsentRequired: {"Your organization has to consent to the setup app before you can use it.",
		"Ask your IT support to grant admin consent to the app, then start setup again."},
	auth.CodeLoginRequired: {"Entra has no signed-in session for you, so a silent sign-in could not work.", todoSignInAgain},
	auth.CodeServerError:   {"Microsoft Entra ID had an internal error.", "Wait a few minutes, then start setup again."},
	auth.CodeTemporarilyUnavail: {"Microsoft Entra ID is temporarily unavailable.",
		"Wait a few minutes, then start setup again."},
	auth.CodeNetwork: {"Setup could not reach Microsoft Entra ID: the network or a proxy stopped the connection.",
		"Check the network connection, then start setup again. Behind a proxy or firewall, ask your IT support to allow the Microsoft sign-in endpoints."},
	auth.CodeThrottled: {"Entra is throttling sign-in requests from this PC: too many in a short time.",
		"Wait a few minutes, then start setup again."},
	auth.CodeCancelled:       {"The sign-in was cancelled before it finished.", todoSignInAgain},
	auth.CodeInvalidResponse: {"Entra sent an answer the setup program could not read.", "Start setup again. If it happens again, report it with the error code and the collected logs."},
	auth.CodeInvalidIDToken: {"The identity token from Entra failed verification, so the sign-in is not trusted.",
		"Start setup again. If it happens again, tell your IT support: the sign-in authority may be wrong, or something on the network alters the answers."},
	auth.CodeWrongUser: {"A different account signed in than the one setup asked for.",
		"Start setup again and sign in with your own work or school account."},
}

// aadstsHelp is Entra's AADSTS numbers that the sign-in and the restore app's token can end
// with (Entra's reference-error-codes page, and the simulated tenant's answers).
var aadstsHelp = map[int]codeHelp{
	65004: {"The sign-in was declined: on the verification page or the browser, the request to sign in to the setup app was refused or cancelled.",
		"Start setup again and approve the sign-in. If you did not start it, tell your IT support."},
	70016: {"The code had not been entered on the other device yet when setup stopped waiting.", todoSignInAgain},
	70018: {"The code entered on the verification page was wrong or already used.",
		"Start setup again and type the new code exactly as the screen shows it."},
	70019: {"The sign-in code expired before it was used: codes last 15 minutes.",
		"Start setup again and enter the new code before it expires."},
	50126: {"The user name or password was wrong.",
		"Start setup again and sign in with your work or school account and its current password. If you forgot it, reset it or ask your IT support."},
	50034: {"That account does not exist in your organization's directory.",
		"Start setup again and check the account name (name@yourcompany.com). Ask your IT support if you are not sure which account to use."},
	50076: {"Your organization requires multifactor authentication here, and the sign-in did not include it.",
		"Start setup again and complete the extra verification (Authenticator, a security key). If it cannot be done during setup, tell your IT support."},
	50074: {"Your organization requires strong (multifactor) authentication, and the sign-in did not include it.",
		"Start setup again and complete the extra verification."},
	50072: {"You have to register for multifactor authentication before you can sign in.",
		"Register a verification method at https://aka.ms/mfasetup on another device, then start setup again."},
	50078: {"The multifactor authentication you gave earlier has expired.", "Start setup again and complete the extra verification once more."},
	50079: {"You have to register for multifactor authentication before you can sign in.",
		"Register a verification method at https://aka.ms/mfasetup on another device, then start setup again."},
	53000: {"A Conditional Access policy requires a compliant device, and this one is not (yet).", todoAskAdmin},
	53001: {"A Conditional Access policy requires a domain-joined device.", todoAskAdmin},
	53002: {"A Conditional Access policy allows only approved apps, and the setup app is not one of them.", todoAskAdmin},
	53003: {"You don't have access to this: a Conditional Access policy of your organization blocks the app. Signing in again will not help.",
		"Ask your IT support to allow the app in Conditional Access (for restore: the Windows restore app d32c68ad-72d2-4acb-a0c7-46bb2cf93873)."},
	53004: {"You have to complete multifactor authentication registration before you can go on, and that can't be done during setup.",
		"Register a verification method at https://aka.ms/mfasetup on another device, then start setup again."},
	530032: {"A security policy of your organization blocks this sign-in.", todoAskAdmin},
	530035: {"Your organization's security defaults block this sign-in.", todoAskAdmin},
	54005:  {"The sign-in's authorization code was already used.", todoSignInAgain},
	70000:  {"The sign-in grant is not valid: the code or token was already used, revoked or damaged.", todoSignInAgain},
	70008:  {"The sign-in's code or saved token expired because it was not used in time.", todoSignInAgain},
	700005: {"The sign-in code was meant for another organization's tenant.",
		"Start setup again and sign in with an account of the organization that owns this PC."},
	700082: {"The saved sign-in expired because it was not used for a long time.", todoSignInAgain},
	50173:  {"The saved sign-in is no longer valid: the password was changed or the session revoked.", todoSignInAgain},
	50133:  {"The session is no longer valid: the password changed or it expired.", todoSignInAgain},
	70043:  {"The session expired because of your organization's sign-in frequency policy.", todoSignInAgain},
	50148:  {"Entra refused the sign-in's security check (the PKCE code verifier did not match).", "Start setup again; if it happens again, report it with the error code."},
	501481: {"Entra refused the sign-in's security check (the PKCE code verifier was missing or malformed).", "Start setup again; if it happens again, report it with the error code."},
	501491: {"The sign-in request's security challenge (PKCE) was malformed.", todoReportBug},
	50089:  {"The sign-in took too long and its flow token expired.", todoSignInAgain},
	50058:  {"Entra has no signed-in session for you, so a silent sign-in could not work.", todoSignInAgain},
	50011: {"The sign-in's return address (redirect URI) is not registered for the setup app.",
		"Tell your IT support: register http://127.0.0.1 as a Mobile and desktop redirect URI of the app registration."},
	900144:  {"The sign-in request missed a required value.", todoReportBug},
	9002313: {"Entra rejected the sign-in request as malformed.", todoReportBug},
	900561:  {"The sign-in request used the wrong HTTP method.", todoReportBug},
	500011: {"The service the setup app asked a token for does not exist in your tenant.",
		"Tell your IT support: the resource (Microsoft Graph or the Windows restore apps) is missing from the tenant."},
	28000: {"The setup app asked for a token for several services at once.", todoReportBug},
	70011: {"The setup app asked for permissions it may not request.", "Tell your IT support: check the app registration's API permissions."},
	70003: {"The setup app used a kind of sign-in Entra does not support here.", todoReportBug},
	700054: {"The app registration does not allow the kind of sign-in setup used.",
		"Tell your IT support: enable the needed response types in the app registration."},
	90002: {"Your organization's tenant was not found.",
		"Tell your IT support: the tenant in the setup configuration does not exist or has no active subscription."},
	90033: {"Microsoft Entra ID is temporarily unavailable.", "Wait a few minutes, then start setup again."},
	90055: {"Too many sign-in requests in a short time: Entra is throttling them.", "Wait a few minutes, then start setup again."},
	700016: {"The setup app is not registered in your organization's tenant.",
		"Tell your IT support: register or consent to the app in your tenant, or check the client ID."},
	700038:  {"The setup app's client ID is not a valid application ID.", "Tell your IT support: check the client ID in the setup configuration."},
	7000215: {"The app's client secret is wrong.", "Tell your IT support: check the client secret (its value, not its ID)."},
	7000218: {"The app registration does not allow public client flows, which this setup uses.",
		"Tell your IT support: in App registrations > Authentication, set Allow public client flows to Yes."},
	700025: {"The setup app sent a client secret, which a public client must not send.",
		"Tell your IT support: something between this PC and Entra (a proxy) may alter the requests."},
}

// graphHelp explains a Graph HTTP status: Intune, the restore setting or the backups could not
// be read. The flow retries throttling and server errors before it gives up.
func graphHelp(status int) (meaning, todo string, ok bool) {
	const later = "Wait a few minutes, then start setup again. If it keeps happening, tell your IT support the error code and the time."
	switch {
	case status == 401:
		return "Microsoft Graph refused the sign-in's token (expired or not for Graph).", "Start setup again and sign in once more.", true
	case status == 403:
		return "Microsoft Graph refused access: the account or the setup app lacks a permission it needs (for example to read your backups).",
			"Tell your IT support: grant the app the permission (UserWindowsSettings.Read) or check the account's roles.", true
	case status == 404:
		return "Microsoft Graph did not find what setup asked for (a setting or backup that no longer exists).", later, true
	case status == 429:
		return "Microsoft Graph is throttling requests: too many in a short time, and setup gave up after retrying.", later, true
	case status >= 500 && status <= 599:
		return "Microsoft Graph had a server error and kept failing after setup retried.", later, true
	case status >= 400 && status <= 499:
		return "Microsoft Graph refused the request.", "Tell your IT support the error code and the time it happened.", true
	}
	return "", "", false
}
