"""The one way into Elasticsearch / OpenSearch: client, index templates, queries, analyst API."""
