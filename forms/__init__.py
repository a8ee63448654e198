"""WTForms classes, one module per screen group."""
