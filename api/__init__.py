"""The REST API of one cell: accounts, monitors, their tests and results, under /api/v1."""
