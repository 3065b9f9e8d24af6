"""The embedded stack: the same handlers on this machine, with moto's server standing in for AWS."""
