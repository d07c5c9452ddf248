"""Performance scripts: each prints its figures and ratios against a baseline in the same run."""
