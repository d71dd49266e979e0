"""HTTP layer only: FastAPI app factory, routes, schemas, auth and problem+json."""
