"""Storage: the one way into Elasticsearch / OpenSearch (client, index templates and lifecycle, documents, queries).

Imports no web code; the FastAPI app that serves it lives in web/."""
