# The two commands: `make demo` runs the product on embedded defaults,
# `make test` runs the whole suite on real services. Both install what is missing.
.PHONY: demo test services-up services-down bench lint

demo:
	deploy/bootstrap.sh demo
	.venv/bin/coverwatch demo

test:
	deploy/run-tests.sh

services-up:
	deploy/bootstrap.sh demo
	.venv/bin/coverwatch services up

services-down:
	.venv/bin/coverwatch services down

lint:
	.venv/bin/ruff check .
	.venv/bin/mypy

bench:
	.venv/bin/python bench/ingest.py
