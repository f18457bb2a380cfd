"""Scrapy project: sources as data, one generic spider per source kind, hand-off to the workers."""
