package profile

// The names a device profile may give, as Microsoft's documents spell them. Whether each one
// can restore is eligibility's business (restore.Editions and the rules in restore/rules.go).

// Edition is a Windows edition a device profile may name.
type Edition struct {
	Name string `json:"name"`
	// Aliases are the EditionID values Windows itself reports for the edition (the registry's
	// EditionID), accepted so an admin can paste what the device says.
	Aliases []string `json:"aliases,omitempty"`
}

// editions are the editions a profile can name, in the order they are listed.
var editions = []Edition{
	{Name: "Pro", Aliases: []string{"Professional", "ProfessionalN"}},
	{Name: "ProEducation", Aliases: []string{"ProfessionalEducation", "ProfessionalEducationN"}},
	{Name: "ProWorkstation", Aliases: []string{"ProfessionalWorkstation", "ProfessionalWorkstationN"}},
	{Name: "Enterprise", Aliases: []string{"EnterpriseN", "EnterpriseS", "EnterpriseSN"}},
	{Name: "Education", Aliases: []string{"EducationN"}},
	{Name: "Home", Aliases: []string{"Core", "CoreN", "CoreSingleLanguage", "CoreCountrySpecific"}},
	{Name: "CloudEdition", Aliases: []string{"SE"}},
	{Name: "IoTEnterprise"},
	{Name: "IoTEnterpriseLTSC", Aliases: []string{"IoTEnterpriseS"}},
	{Name: "Holographic"},
	{Name: "Team"},
}

// Editions returns every edition a device profile may name.
func Editions() []Edition { return append([]Edition(nil), editions...) }

// LookupEdition finds an edition by its name or one of its Windows EditionID aliases.
func LookupEdition(s string) (Edition, bool) {
	for _, e := range editions {
		if e.Name == s {
			return e, true
		}
		for _, a := range e.Aliases {
			if a == s {
				return e, true
			}
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
	CloudGCCHigh:  "GCC High (US Government)",
	Cloud21Vianet: "Microsoft Azure operated by 21Vianet (China)",
}

// CloudTitle names a cloud, e.g. "GCC High (US Government)".
func CloudTitle(cloud string) string {
	if t, ok := cloudTitles[cloud]; ok {
		return t
	}
	return cloud
}

var cloudOrder = []string{CloudGlobal, CloudGCCHigh, Cloud21Vianet}

// Clouds returns every cloud, in the order they are listed.
func Clouds() []string { return append([]string(nil), cloudOrder...) }

var architectures = []string{"x64", "arm64", "x86"}
