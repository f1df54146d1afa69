"""What must hold when things go wrong or happen at once (issue #7): concurrent writers,
failures part-way, lost connections, backups, and inputs nobody thought of."""
