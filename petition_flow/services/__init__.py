"""Use cases: the only code that commits. Each takes (session, actor, now, …)."""
