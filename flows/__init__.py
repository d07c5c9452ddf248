"""Prefect flows: thin wrappers over the service layer that leave artifacts for buyers."""
