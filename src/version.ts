// The package version, kept equal to package.json's by a test (a JSON import would need import attributes).
export const VERSION = "0.1.0";
