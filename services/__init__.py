"""The service layer: units of work that load from the system of record, call the pure
purchasing rules, persist the decisions and return plain results for flows and the CLI."""
