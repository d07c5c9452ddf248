"""procure: supplier reliability and back-order purchasing on Prefect 3."""

__version__ = "0.1.0"
