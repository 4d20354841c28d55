"""People an admin runs: a person's name, role and whether their login is active, audited."""
