"""The FastAPI application: analyst pages and API, auth and accounts, saved searches, rules and subscriber pages."""
