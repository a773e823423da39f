# prep: `make run` serves the app, `make test` runs the suite. Both set everything up first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# The first interpreter that really runs and carries the security fixes prep relies on: 3.12.6+
# or 3.13+ (3.12.6 fixed quadratic cookie parsing, CVE-2024-7592, which Django's cookie parser
# reaches before login). Candidates are executed, not merely looked up, because pyenv shims for
# python3.12/3.13 exist on PATH but fail unless selected; pyenv versions are tried newest first.
define find_python
for c in python3.13 python3.12 python3 \
         $$(command -v pyenv >/dev/null && ls -d "$$(pyenv root)"/versions/3.1[2-9].*/bin/python3 2>/dev/null | sort -rV); do \
  if "$$c" -c 'import sys; sys.exit(not (sys.version_info >= (3, 13) or (3, 12, 6) <= sys.version_info < (3, 13)))' >/dev/null 2>&1; then echo "$$c"; exit 0; fi; \
done; exit 1
endef

# Install Debian packages when we may (root, or sudo without a password); otherwise say what to
# install and stop.
define apt_install
{ if [ "$$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; \
  else echo "Please install the Debian/Ubuntu package(s) $(1) (apt-get install $(1)) and re-run." >&2; exit 1; fi; \
  command -v apt-get >/dev/null || { echo "Please install $(1) with your system's package manager and re-run." >&2; exit 1; }; \
  echo "Installing $(1) with apt-get"; $$sudo apt-get update -qq && $$sudo apt-get install -y -qq $(1) >/dev/null; }
endef

.PHONY: run test check-bank serve lint format audit lock bench soak clean editor editor-check
.DEFAULT_GOAL := run

$(PY):
	@py=$$($(find_python)) || { echo "prep needs Python 3.12.6 or newer, or 3.13+ (tried python3.13, python3.12, python3 and pyenv versions; older releases lack security fixes). Install one and re-run." >&2; exit 1; }; \
	echo "Creating $(VENV) with $$py ($$($$py --version))"; \
	"$$py" -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip

# Exact versions with hashes from requirements/*.lock (made by `make lock`); then the project
# itself, with no dependencies of its own to resolve.
$(VENV)/.runtime: requirements/runtime.lock pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements/runtime.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.test: requirements/test.lock pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements/test.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@ $(VENV)/.runtime

# The development server and one runner worker (code runs are queued jobs); Ctrl-C stops both.
# Without bubblewrap (and no way to install it) code runs in a plain subprocess, which the
# console and the page both say: fine for one person on their own machine.
run: $(VENV)/.runtime
	@command -v bwrap >/dev/null || ( $(call apt_install,bubblewrap) ) || echo "Continuing without bubblewrap: code will run without a sandbox." >&2
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py loadbank
	@$(PY) manage.py db_worker --interval 0.25 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# The browser, sandbox and proxy tests need chromium, bubblewrap and nginx: installed here where
# we may; elsewhere those tests are skipped with the reason shown (CI requires them).
test: $(VENV)/.test
	@missing=""; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	command -v bwrap >/dev/null || missing="$$missing bubblewrap"; \
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then ( $(call apt_install,$${missing# }) ) || echo "Continuing without$$missing: the tests that need them are skipped." >&2; fi
	$(PY) -m pytest $(PYTEST_ARGS)

# The bank's own code through the sandbox with the limits users get: every coding and review
# question's reference passes, its starter (or flawed given code) and every wrong answer fail,
# some 1,450 runs (about 7 minutes on 2 cores, mostly too-slow wrong answers that must use up
# the 5 s CPU limit). A content check like lint: CI runs it beside `make test`.
check-bank: $(VENV)/.runtime
	@command -v bwrap >/dev/null || ( $(call apt_install,bubblewrap) )
	PREP_CODE_RUNNER=bwrap $(PY) manage.py checkcode --jobs 4 > .check-bank.log || { grep -v '^ok ' .check-bank.log; exit 1; }
	@grep -c '^ok ' .check-bank.log | xargs -I{} echo "{} checks passed: every reference passes; every starter, given code and wrong answer fails."

# Production-like: DEBUG off, gunicorn's workers behind nginx (which reads each request in full,
# so slow clients cannot hold a worker; prep/serve.py), runner workers for code runs, static
# files through whitenoise. Plain
# HTTP on loopback, so HTTPS-only cookies are off here; behind a TLS proxy leave HTTPS at its default.
serve: $(VENV)/.runtime
	@test -n "$$SECRET_KEY" || { echo "Set SECRET_KEY first, e.g. export SECRET_KEY=\$$(openssl rand -hex 32)" >&2; exit 1; }
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || $(call apt_install,nginx)
	@command -v bwrap >/dev/null || ( $(call apt_install,bubblewrap) ) || echo "Without bubblewrap, running code stays off (PREP_CODE_RUNNER)." >&2
	DEBUG=false HTTPS=$${HTTPS:-false} $(PY) manage.py migrate --noinput
	DEBUG=false HTTPS=$${HTTPS:-false} $(PY) manage.py createcachetable
	DEBUG=false HTTPS=$${HTTPS:-false} $(PY) manage.py loadbank
	DEBUG=false HTTPS=$${HTTPS:-false} $(PY) manage.py collectstatic --noinput --verbosity 0
	DEBUG=false HTTPS=$${HTTPS:-false} $(PY) -m prep.serve --host $(HOST) --port $(PORT) \
	  --workers $${WORKERS:-2} --runners $${RUNNERS:-2}

# Benchmark at scale on SQLite and PostgreSQL; writes bench/results.md (see bench/run.py).
bench: $(VENV)/.runtime
	@command -v wrk >/dev/null || $(call apt_install,wrk)
	$(PY) bench/run.py $(BENCH_ARGS)

# Concurrent users against gunicorn + PostgreSQL, with a worker killed mid-run (bench/soak.py).
soak: $(VENV)/.runtime
	$(PY) bench/soak.py $(SOAK_ARGS)

# Known vulnerabilities in the locked dependencies (pip-audit; see .ci/audit_dependencies.py).
audit: $(VENV)/.test
	$(PY) .ci/audit_dependencies.py

# Re-resolve pyproject.toml's ranges to the newest releases, with hashes, for every platform.
# The runtime lock is held to the test lock's versions, so tests run what production runs.
lock: | $(PY)
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra test --universal --python-version 3.12 \
	  --generate-hashes --upgrade --quiet -o requirements/test.lock
	$(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.12 \
	  --generate-hashes --quiet -c requirements/test.lock -o requirements/runtime.lock

# The code editor (CodeMirror 6) is bundled from the npm registry, exactly as pinned in
# static/editor/package-lock.json, into static/js/editor.js, which is committed: `make run`
# needs no Node. `make editor` rebuilds it (after changing static/editor/src or the lock);
# `make editor-check` (CI) rebuilds it aside and fails if the committed bundle differs.
EDITOR_BUILD := .build/editor
ESBUILD_FLAGS := --bundle --minify --format=iife --target=es2020 --charset=utf8 \
  --legal-comments=none --banner:js="/* prep's code editor: CodeMirror 6 and Lezer (MIT licence, (c) Marijn Haverbeke and others), bundled by 'make editor' from static/editor. */"

define build_editor
command -v npm >/dev/null || { echo "Building the editor needs Node.js and npm (apt-get install nodejs npm)." >&2; exit 1; }
rm -rf $(EDITOR_BUILD) && mkdir -p $(EDITOR_BUILD)
cp static/editor/package.json static/editor/package-lock.json $(EDITOR_BUILD)/
cp -r static/editor/src $(EDITOR_BUILD)/
cd $(EDITOR_BUILD) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
$(EDITOR_BUILD)/node_modules/.bin/esbuild $(EDITOR_BUILD)/src/editor.js $(ESBUILD_FLAGS) --log-level=warning --outfile=$(1)
endef

editor:
	@$(call build_editor,static/js/editor.js)
	@echo "Built static/js/editor.js; commit it with the change that needed it."

editor-check:
	@$(call build_editor,$(EDITOR_BUILD)/editor.js)
	@cmp -s $(EDITOR_BUILD)/editor.js static/js/editor.js || { echo "static/js/editor.js differs from what static/editor builds: run 'make editor' and commit the result." >&2; exit 1; }
	@echo "static/js/editor.js is exactly what static/editor/package-lock.json builds."

lint: $(VENV)/.test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
