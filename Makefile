# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: install services translations run test check clean i18n

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	deploy/ensure-services.sh python
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

translations: install
	$(BIN)/pybabel compile --statistics -d frontend/translations

run: install translations
	deploy/ensure-services.sh all
	VIGIL_LOG_FORMAT=$${VIGIL_LOG_FORMAT:-text} $(BIN)/vigil stack

# Lint, format, types (shared/ strict, then the packages already clean) and the import boundaries.
check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict shared
	$(BIN)/mypy result_processor scheduler notifier executor ops ascode api frontend
	$(BIN)/pytest -q -p no:cacheprovider tests/test_boundaries.py tests/test_channel_kinds.py

test: install translations
	deploy/ensure-services.sh test
	$(MAKE) --no-print-directory check
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info

# After changing user-visible strings: refresh the template and the catalogues, then translate.
i18n: install
	$(BIN)/pybabel extract -F frontend/babel.cfg -o frontend/translations/messages.pot --no-location --sort-output frontend
	$(BIN)/pybabel update -i frontend/translations/messages.pot -d frontend/translations --no-fuzzy-matching
	$(BIN)/pybabel extract -F notifier/babel.cfg -k N_ -o notifier/translations/messages.pot --no-location --sort-output notifier
	$(BIN)/pybabel update -i notifier/translations/messages.pot -d notifier/translations --no-fuzzy-matching
