"""The bundled offline demo news site (fictional outlets and articles)."""
