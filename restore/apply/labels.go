package apply

import "github.com/oobe-dev/oobe/backup"

// ItemLabel names one item of a restore for a person: "Personalization › Colors › Choose your
// mode" for a setting (backup.SettingLabel), "Terminal (Start pin)" for a pin.
func ItemLabel(it ItemResult) string {
	switch it.Kind {
	case KindSetting:
		return backup.SettingLabel(it.Category, it.Name)
	case KindDeviceName:
		return "Device name " + it.Name
	case KindWiFi:
		return it.Name + " (Wi-Fi network)"
	case KindStoreApp:
		return it.Name + " (Microsoft Store app)"
	case KindStartPin:
		return it.Name + " (Start pin)"
	case KindStartTile:
		return it.Name + " (Windows 10 Start tile)"
	case KindTaskbarPin:
		return it.Name + " (taskbar pin)"
	}
	return it.Name
}
