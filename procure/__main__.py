"""``python -m procure`` runs the CLI."""

from procure.cli.app import main

main()
