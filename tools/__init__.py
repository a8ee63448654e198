"""Maintenance scripts run from the project root (not imported by the app)."""
