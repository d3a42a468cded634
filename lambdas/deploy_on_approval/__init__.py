"""Deploy on approval: updates an endpoint blue/green when a model package version is approved."""
