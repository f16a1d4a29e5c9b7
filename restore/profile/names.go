package profile

import (
	"slices"
	"strconv"
)

// The names a device profile may give, as Microsoft's documents spell them. Whether each one
// can restore is eligibility's business (restore.Editions and the rules in restore/rules.go).

// Edition is a Windows edition a device profile may name.
type Edition struct {
	Name string `json:"name"`
	// Aliases are the EditionID values Windows itself reports for the edition (the registry's
	// EditionID), accepted so an admin can paste what the device says.
	Aliases []string `json:"aliases,omitempty"`
	// SKUs are the edition's SKU numbers, as Windows reports them (Win32_OperatingSystem's
	// OperatingSystemSKU, GetProductInfo's PRODUCT_* values): the edition's own first, then
	// those of its aliases (N, LTSC, …). A profile may give one instead of the name.
	SKUs []int `json:"skus,omitempty"`
}

// editions are the editions a profile can name, in the order they are listed. The SKU
// numbers of the editions the restore page excludes are the Intune page's own list (domain.md
// §7.2); the others are Windows' PRODUCT_* values (GetProductInfo, learn.microsoft.com/windows/
// win32/api/sysinfoapi/nf-sysinfoapi-getproductinfo).
var editions = []Edition{
	{Name: "Pro", Aliases: []string{"Professional", "ProfessionalN"}, SKUs: []int{48, 49}},
	{Name: "ProEducation", Aliases: []string{"ProfessionalEducation", "ProfessionalEducationN"}, SKUs: []int{164, 165}},
	{Name: "ProWorkstation", Aliases: []string{"ProfessionalWorkstation", "ProfessionalWorkstationN"}, SKUs: []int{161, 162}},
	{Name: "Enterprise", Aliases: []string{"EnterpriseN", "EnterpriseS", "EnterpriseSN"}, SKUs: []int{4, 27, 125, 126}},
	{Name: "Education", Aliases: []string{"EducationN"}, SKUs: []int{121, 122}},
	{Name: "Home", Aliases: []string{"Core", "CoreN", "CoreSingleLanguage", "CoreCountrySpecific"}, SKUs: []int{101, 98, 100, 99}},
	{Name: "IoTEnterprise", SKUs: []int{188}},
	{Name: "IoTEnterpriseLTSC", Aliases: []string{"IoTEnterpriseS"}, SKUs: []int{191}},
	// The six SKUs the Intune page excludes, by its names and numbers.
	{Name: "CloudEdition", Aliases: []string{"SE"}, SKUs: []int{203}}, // Windows 11 SE
	{Name: "CloudEditionN", SKUs: []int{202}},                         // Windows 11 SE N
	{Name: "Holographic", SKUs: []int{136}},                           // HoloLens
	{Name: "IoTUAP", SKUs: []int{123}},                                // Windows 10 IoT Core
	{Name: "IoTUAPCommercial", SKUs: []int{131}},                      // Windows 10 IoT Core Commercial
	// PPIPro was called Team here before the SKU names were used; Team is still accepted.
	{Name: "PPIPro", Aliases: []string{"Team"}, SKUs: []int{119}}, // Windows 10 Team (Surface Hub)
}

// Editions returns every edition a device profile may name.
func Editions() []Edition { return append([]Edition(nil), editions...) }

// LookupEdition finds an edition by its name, one of its Windows EditionID aliases or one of
// its SKU numbers written in decimal ("203" is CloudEdition).
func LookupEdition(s string) (Edition, bool) {
	sku, err := strconv.Atoi(s)
	isSKU := err == nil && s == strconv.Itoa(sku) // no signs, spaces or leading zeros
	for _, e := range editions {
		if e.Name == s || slices.Contains(e.Aliases, s) || (isSKU && slices.Contains(e.SKUs, sku)) {
			return e, true
		}
	}
	return Edition{}, false
}

// Provisioning is a way a device is set up, as Microsoft's documents call it.
type Provisioning struct {
	Name  string
	Title string
}

var provisioningModes = []Provisioning{
	{Name: ProvisioningUserDriven, Title: "Windows Autopilot user-driven"},
	{Name: ProvisioningOOBE, Title: "work or school account joined during setup (OOBE)"},
	{Name: ProvisioningSelfDeploying, Title: "Windows Autopilot self-deploying"},
	{Name: ProvisioningPreProvisioned, Title: "Windows Autopilot pre-provisioning"},
	{Name: ProvisioningAutopilotReset, Title: "Windows Autopilot Reset"},
	{Name: ProvisioningSettingsApp, Title: "enrollment from the Settings app (Access work or school)"},
	{Name: ProvisioningGroupPolicy, Title: "Group Policy enrollment"},
	{Name: ProvisioningCoManagement, Title: "Configuration Manager co-management"},
	{Name: ProvisioningDevicePreparation, Title: "Windows Autopilot device preparation"},
}

// ProvisioningModes returns every provisioning mode a device profile may name.
func ProvisioningModes() []Provisioning { return append([]Provisioning(nil), provisioningModes...) }

// LookupProvisioning finds a provisioning mode by its name.
func LookupProvisioning(s string) (Provisioning, bool) {
	for _, p := range provisioningModes {
		if p.Name == s {
			return p, true
		}
	}
	return Provisioning{}, false
}

// joinTitles names each join type as Microsoft's documents do.
var joinTitles = map[string]string{
	JoinEntra:      "Microsoft Entra joined",
	JoinHybrid:     "Microsoft Entra hybrid joined",
	JoinRegistered: "Microsoft Entra registered",
	JoinDomain:     "domain joined (on-premises Active Directory only)",
	JoinOnPremDRS:  "on-premises DRS joined",
	JoinNone:       "not joined",
}

// JoinTitle names a join type as Microsoft's documents do, e.g. "Microsoft Entra hybrid joined".
func JoinTitle(join string) string {
	if t, ok := joinTitles[join]; ok {
		return t
	}
	return join
}

var joinOrder = []string{JoinEntra, JoinHybrid, JoinRegistered, JoinDomain, JoinOnPremDRS, JoinNone}

// Joins returns every join type, in the order they are listed.
func Joins() []string { return append([]string(nil), joinOrder...) }

// cloudTitles names each cloud.
var cloudTitles = map[string]string{
	CloudGlobal:   "global (commercial) cloud",
	CloudGCC:      "GCC (US Government Community Cloud)",
	CloudGCCHigh:  "GCC High (US Government)",
	CloudDoD:      "DoD (US Government, Department of Defense)",
	Cloud21Vianet: "Microsoft Azure operated by 21Vianet (China)",
}

// CloudTitle names a cloud, e.g. "GCC High (US Government)".
func CloudTitle(cloud string) string {
	if t, ok := cloudTitles[cloud]; ok {
		return t
	}
	return cloud
}

var cloudOrder = []string{CloudGlobal, CloudGCC, CloudGCCHigh, CloudDoD, Cloud21Vianet}

// Clouds returns every cloud, in the order they are listed.
func Clouds() []string { return append([]string(nil), cloudOrder...) }

var architectures = []string{"x64", "arm64", "x86"}
