package profile

// DeviceProfile is what eligibility and the apply engine need to know about the device being
// set up. docs/devices.md documents the file format.
type DeviceProfile struct {
	// OS is the full version string, e.g. 10.0.22631.4317.
	OS string `yaml:"os" json:"os"`
	// Edition is the edition's name, a Windows EditionID or a SKU number (203); Parse
	// normalises it to the name.
	Edition string `yaml:"edition" json:"edition"`
	// Join is entra, hybrid, registered, domain, onPremDrs or none.
	Join string `yaml:"join" json:"join"`
	// Provisioning is how the device is being set up (userDriven, selfDeploying, …).
	Provisioning string `yaml:"provisioning" json:"provisioning"`
	Shared       bool   `yaml:"shared" json:"shared"`
	// Cloud is global, gcc, gcch, dod or 21vianet.
	Cloud string `yaml:"cloud" json:"cloud"`
	// InstallQualityUpdates is the ESP setting "Install Windows quality updates".
	InstallQualityUpdates bool `yaml:"installQualityUpdates" json:"installQualityUpdates"`
	// Architecture is x64 (default), arm64 or x86; Store apps are offered per architecture.
	Architecture string `yaml:"architecture,omitempty" json:"architecture,omitempty"`
	// Name is the device name; DeviceID its Entra device id (windowsDeviceId); TenantID its tenant.
	Name     string `yaml:"name,omitempty" json:"name,omitempty"`
	DeviceID string `yaml:"deviceId,omitempty" json:"deviceId,omitempty"`
	TenantID string `yaml:"tenantId,omitempty" json:"tenantId,omitempty"`
	// CloudPC marks a Windows 365 Cloud PC, which can restore at the user's first sign-in
	// (MC1238409, domain.md §7.1); setup's rules do not read it.
	CloudPC bool `yaml:"cloudPC,omitempty" json:"cloudPC,omitempty"`
	// VirtualMachine marks a Hyper-V virtual machine, where passkeys and FIDO2 security keys are
	// not available: a phishing-resistant MFA prompt fails there, and [W] suggests a Temporary
	// Access Pass (domain.md §7.2).
	VirtualMachine bool `yaml:"virtualMachine,omitempty" json:"virtualMachine,omitempty"`
	// EnableWindowsRestore is the device policy Enable Windows Restore (CSP
	// ./Device/Vendor/MSFT/WindowsBackupAndRestore/EnableWindowsRestore, default false): nil
	// means not configured, which is off. The first-sign-in restore page needs it on.
	EnableWindowsRestore *bool `yaml:"enableWindowsRestore,omitempty" json:"enableWindowsRestore,omitempty"`
	// EnableWindowsBackup is the device policy Enable Windows Backup (CSP
	// ./Device/Vendor/MSFT/Policy/Config/SettingsSync/EnableWindowsBackup): nil means not
	// configured, which is off before Windows 11 26H2 and on from it (domain.md §7.3).
	EnableWindowsBackup *bool `yaml:"enableWindowsBackup,omitempty" json:"enableWindowsBackup,omitempty"`
}

// Join types. Domain and onPremDrs are kept apart from none because dsregcmd tells them
// apart and an admin reading "not joined" for a domain-joined PC would look in the wrong place.
const (
	JoinEntra      = "entra"
	JoinHybrid     = "hybrid"
	JoinRegistered = "registered"
	JoinDomain     = "domain"    // on-premises Active Directory only
	JoinOnPremDRS  = "onPremDrs" // joined to an on-premises device registration service (AD FS)
	JoinNone       = "none"
)

// Provisioning modes.
const (
	ProvisioningUserDriven     = "userDriven"
	ProvisioningOOBE           = "oobe"
	ProvisioningSelfDeploying  = "selfDeploying"
	ProvisioningPreProvisioned = "preProvisioned"
	ProvisioningAutopilotReset = "autopilotReset"
	ProvisioningSettingsApp    = "settingsApp"
	ProvisioningGroupPolicy    = "groupPolicy"
	ProvisioningCoManagement   = "coManagement"
	// ProvisioningDevicePreparation is Windows Autopilot device preparation (Autopilot v2).
	ProvisioningDevicePreparation = "devicePreparation"
)

// Clouds: the global (commercial) cloud and the government and sovereign clouds the restore
// pages name (domain.md §7.2).
const (
	CloudGlobal   = "global"
	CloudGCC      = "gcc" // US Government Community Cloud
	CloudGCCHigh  = "gcch"
	CloudDoD      = "dod" // US Government, Department of Defense
	Cloud21Vianet = "21vianet"
)
