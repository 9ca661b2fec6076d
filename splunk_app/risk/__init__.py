"""The per-user risk profile, the risk policy, the table sync and the search command's row path."""
