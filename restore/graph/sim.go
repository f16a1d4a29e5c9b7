package graph

import (
	"context"

	"github.com/oobe-dev/oobe/backup"
)

// RestoreConfiguration is Intune's windowsRestoreDeviceEnrollmentConfiguration: the tenant's
// "Show restore page" flag.
type RestoreConfiguration struct {
	ODataType                         string `json:"@odata.type"`
	ID                                string `json:"id"`
	DisplayName                       string `json:"displayName,omitempty"`
	State                             string `json:"state"`
	DeviceEnrollmentConfigurationType string `json:"deviceEnrollmentConfigurationType"`
}

// RestoreConfigurationType is the @odata.type of the restore flag object.
const RestoreConfigurationType = "#microsoft.graph.windowsRestoreDeviceEnrollmentConfiguration"

// RestoreConfiguration reads the tenant's restore flag (beta; needs an admin's
// DeviceManagementServiceConfig.Read.All). A tenant without the object reports notConfigured.
func (c *Client) RestoreConfiguration(ctx context.Context) (*RestoreConfiguration, error) {
	var page struct {
		Value []RestoreConfiguration `json:"value"`
	}
	if err := c.do(ctx, request{method: "GET", target: "/beta/deviceManagement/deviceEnrollmentConfigurations"}, &page); err != nil {
		return nil, err
	}
	for _, v := range page.Value {
		if v.ODataType == RestoreConfigurationType || v.DeviceEnrollmentConfigurationType == "windowsRestore" {
			return &v, nil
		}
	}
	return &RestoreConfiguration{ODataType: RestoreConfigurationType, State: "notConfigured", DeviceEnrollmentConfigurationType: "windowsRestore"}, nil
}

// SetRestorePage changes the restore flag's state (enabled, disabled or notConfigured).
func (c *Client) SetRestorePage(ctx context.Context, id, state string) error {
	body := map[string]string{"@odata.type": RestoreConfigurationType, "state": state}
	return c.do(ctx, request{method: "PATCH", target: "/beta/deviceManagement/deviceEnrollmentConfigurations/" + id, body: body}, nil)
}

// Upload sends a simulated device's backup to the simulator's own upload endpoint.
func (c *Client) Upload(ctx context.Context, u backup.Upload) error {
	return c.do(ctx, request{method: "POST", target: backup.UploadPath, body: u}, nil)
}

// ReportRestore sends a device's restore result to the simulator's own report endpoint.
func (c *Client) ReportRestore(ctx context.Context, r backup.RestoreResult) error {
	return c.do(ctx, request{method: "POST", target: backup.RestoreResultPath, body: r}, nil)
}
