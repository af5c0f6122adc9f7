"""HTTP edge shared by every family: problem details, middleware, dependencies."""
