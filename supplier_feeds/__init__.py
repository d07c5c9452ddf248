"""Supplier files and feeds: safe reading, profiles, validation, error reports, and writing
accepted rows to the system of record in one transaction."""
