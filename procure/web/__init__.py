"""The buyers' upload page: sign in, send a supplier file, see what became of it."""
