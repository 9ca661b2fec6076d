// The browser half of the render test: Splunk's own Dashboard Studio packages validate and draw a definition.
import React from 'react';
import { createRoot } from 'react-dom/client';
import DashboardCore from '@splunk/dashboard-core';
import { DashboardContextProvider } from '@splunk/dashboard-context';
import EnterpriseViewOnlyPreset from '@splunk/dashboard-presets/EnterpriseViewOnlyPreset';
import SplunkThemeProvider from '@splunk/themes/SplunkThemeProvider';
import { createSchemaBasedOnPresets } from '@splunk/dashboard-definition';
import { DashboardValidator } from '@splunk/dashboard-validation';

// The schema Dashboard Studio itself checks a definition against (the one its source editor reports).
window.validateDefinition = (definition) => {
    const validator = new DashboardValidator();
    const failed = validator.setSchema(createSchemaBasedOnPresets(EnterpriseViewOnlyPreset));
    if (failed) {
        return [String(failed)];
    }
    return (validator.validate(definition) || []).map((e) => `${e.instancePath || '/'}: ${e.message}`);
};

window.renderDashboard = (definition) => {
    window.renderErrors = [];
    window.rendered = false;
    document.addEventListener('dashboardCore.rendered', () => {
        window.rendered = true;
    });
    createRoot(document.getElementById('root')).render(
        <SplunkThemeProvider family="enterprise" colorScheme="light" density="comfortable">
            <DashboardContextProvider preset={EnterpriseViewOnlyPreset} initialDefinition={definition}>
                <DashboardCore
                    width="100%"
                    height="auto"
                    onValidationError={(error) => window.renderErrors.push(String(error))}
                />
            </DashboardContextProvider>
        </SplunkThemeProvider>
    );
};
