"""The seeded demo district (云岭区) and its generated photos."""
