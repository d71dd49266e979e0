"""Use cases: one transaction each; they call the stores in db/ and never write SQL."""
