# fieldops — the two commands: `make run` (product with demo data) and `make test` (suite).
SHELL := /bin/bash
export DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/fieldops
export REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: setup run test test-py test-js lint format bench clean

setup:
	bash infra/setup.sh --browser

run:
	bash infra/setup.sh
	bash infra/run.sh

test: setup
	bash infra/test.sh

lint:
	.venv/bin/ruff check backend tests bench migrations
	.venv/bin/ruff format --check backend tests bench migrations
	.venv/bin/lint-imports --no-cache

format:
	.venv/bin/ruff format backend tests bench migrations
	.venv/bin/ruff check --fix backend tests bench migrations

bench: setup
	.venv/bin/python bench/api.py --quick
	.venv/bin/python bench/dispatch.py --quick
	.venv/bin/python bench/sync.py --quick
	.venv/bin/python bench/media.py --quick
	.venv/bin/python bench/reports.py --quick
	.venv/bin/python bench/load.py --quick

clean:
	rm -rf .venv mobile_pwa/node_modules mobile_pwa/dist var test-output
