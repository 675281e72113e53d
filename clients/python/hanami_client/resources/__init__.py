"""The REST resource groups of AsyncClient, one module per group."""
