"""Operator commands: the `vigil` CLI, cells, quotas, regions, account moves, the local stack."""
