# burrow: `make demo` and `make test` work on a fresh machine; everything else is a step of them.
SHELL := /bin/bash
NODE_MODULES_STAMP := node_modules/.package-lock.json

.PHONY: all install build console-typecheck lint typecheck test unit unit-files e2e demo bench chaos clean test-deps

all: build

$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(NODE_MODULES_STAMP)

# The native addon (N-API, so any Node >= 20 loads the same build). npm ci builds it too
# (package.json's install script): it is built again only when its source changed since.
MEMORY_ADDON := native/memory/build/Release/burrow_memory.node
$(MEMORY_ADDON): native/memory/memory.c native/memory/binding.gyp | $(NODE_MODULES_STAMP)
	npx node-gyp rebuild --silent -C native/memory

# esbuild does not check types, so the console's type check is a step of the build (as in
# `npm run build:console`); `make test` runs it beside the unit files instead (see test).
CONSOLE_TYPECHECK = npx tsc -p src/console/tsconfig.json

build: install $(MEMORY_ADDON)
	rm -rf dist
	npx tsc -p tsconfig.json
	node scripts/bundleCli.mjs
	$(CONSOLE_TYPECHECK)
	node scripts/buildConsole.mjs

console-typecheck: install
	npx tsc -p src/console/tsconfig.json

typecheck: install
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p src/console/tsconfig.json

lint: install
	npx eslint --no-error-on-unmatched-pattern src e2e bench

# Debian packages the tests drive as real peers (installed only where missing).
test-deps:
	bash scripts/test-deps.sh

# A test that hangs fails instead of stalling the run. Node 20 applies --test-timeout to each
# test FILE as a whole (its tests inherit it), so these are per-file budgets: a unit file takes
# seconds; the whole e2e suite took about 4 min run one file at a time, so 10 min per e2e file
# leaves room for a loaded machine. The chaos file carries its own 240 s per-test limit.
UNIT_TIMEOUT = --test-timeout=120000
# Unit files run four at a time: most take milliseconds, and the store files spend their
# seconds waiting on a throwaway PostgreSQL cluster's start.
UNIT_CONCURRENCY = 4
E2E_TIMEOUT = --test-timeout=600000

# e2e files run five at a time: they mostly wait on real processes (a fresh-clone run at
# three at a time kept 2 cores about 62% busy, at four about 75%); the chaos file loads the machine on
# purpose, so it runs alone, last. The longest files (over 40 s each) start first, so the
# run does not end waiting on one of them alone.
E2E_CONCURRENCY = 5
E2E_FIRST = authorityEnds clusterPeering cluster npmPackage dataBudget conditions accounts connectModes backup configRefusal clusterAlerts nodeLifecycle jobs cliMessages keys certificates nodeStatus consolePassword console
E2E_FILES = $$( (for f in $(E2E_FIRST); do echo dist/e2e/$$f.test.js; done; find dist/e2e -name '*.test.js' ! -name 'chaos.test.js' | sort) | awk '!seen[$$0]++')

UNIT_RUN = node --test --test-concurrency=$(UNIT_CONCURRENCY) $(UNIT_TIMEOUT) $$(find dist/src -name '*.test.js' | sort)
E2E_RUN = node --test --test-concurrency=$(E2E_CONCURRENCY) $(E2E_TIMEOUT) $(E2E_FILES) && node --test $(E2E_TIMEOUT) dist/e2e/chaos.test.js

unit: build
	$(UNIT_RUN)

# The unit files of the current build, without building (a step of `test`).
unit-files:
	$(UNIT_RUN)

e2e: build test-deps
	$(E2E_RUN)

# Lint and the console's type check (about 10 s, taken out of the build here) run beside
# the unit files: they mostly wait on throwaway PostgreSQL clusters.
test: CONSOLE_TYPECHECK = @:
test: build test-deps
	$(MAKE) --no-print-directory -j2 unit-files lint console-typecheck
	$(E2E_RUN)

demo: build
	bash scripts/demo.sh

bench: build
	node dist/bench/runBench.js

# Full-size fuzzing, exhaustion, crash and hostile-peer runs; prints the figures table.
# (A CI-sized part runs inside `make test` as e2e/chaos.test.ts.)
chaos: build test-deps
	node dist/e2e/chaos/runChaos.js

clean:
	rm -rf dist .demo
