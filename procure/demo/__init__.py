"""The demo world: a believable store, its suppliers and their files, and the whole cycle."""
