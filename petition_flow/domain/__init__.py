"""Pure domain: workflow specs, engine, working calendar, deadlines. No Flask, no SQLAlchemy."""
