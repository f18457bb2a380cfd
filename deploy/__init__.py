"""How the real services start: the embedded OpenSearch node and Redis."""
