# threadlab - a course lab kit on threading models, and its autograder.
#
#   make grade [LAB=NN] [SUBMISSION=DIR]   grade labs/ (or a student's checkout)
#   make grade-reference [LAB=NN]          grade the reference solutions, hidden tests too
#   make test                              the kit's own test suite
#   make deps                              install (as root) or name the Debian packages needed
#   make skeletons / check-skeletons       labs/ from reference/, and the check they agree
#   make handout [SCREENSHOTS=DIR]         handouts to one HTML site in handout/build/, then
#                                          checked in headless Chromium (links, rendering) with
#                                          screenshots of the index and lab 12 (handout/build/
#                                          screenshots/; SCREENSHOTS=handout/screenshots: the README's)
#   make dist                              the student distribution: build/dist/threadlab/ and .tar.gz
#   make flake [LAB=NN] [N=20]             grade the reference N times under load; failures per test
#   make coverage [LAB=NN]                 line/branch coverage of the reference by its tests
#   make bench [LAB=NN] [IMPL=labs|reference] [RUNS=N]   each lab's benchmark against its peers;
#                                          table and plot in build/bench/<impl>/
#   make mutants [LAB=NN] [JOBS=N]         plant one bug at a time in the reference; kill rate per lab
#   make batch SUBMISSIONS=DIR [LAB=NN]    grade each checkout/archive in DIR: OUT/gradebook.csv, batch.json,
#                                          then the class statistics in OUT/stats/ (as make stats)
#   make stats BATCH=DIR                   class statistics of a batch's OUT: pass rate per test, score
#                                          histogram per lab, slow and flaky tests: DIR/stats/index.html, CSV
#   make docker-base-image                 Debian base image by debootstrap from this host's apt mirror
#   make docker-image [BASE=image]         the grading image (threadlab-grader)
#   make docker-grade [SUBMISSION=DIR]     grade in a container (no network, limits); reports to OUT
#   make docker-grade-reference            grade the reference in a container
#   make gradescope [LAB=NN]               the Gradescope autograder zip: build/gradescope/
#   make test-docker                       the Docker path's own tests (image, grading, Gradescope)
#
# Variables: LAB (NN or NN-slug, space-separated for several), OUT (default
# grades; batch-grades for make batch), SUBMISSION, SUBMISSIONS, BATCH, SEED, JOBS
# (make batch: submissions at once), STRICT=1 (exit 1 below full marks),
# HIDDEN=1 (make grade runs the hidden tests too, where reference/ is present).
# Docker: IMAGE (default threadlab-grader), BASE, DOCKER_MEMORY (8g),
# DOCKER_PIDS (4096).

SHELL := /bin/bash
OUT ?= grades
GRADER := grader/build/tl-grade
GRADE_OPTS = $(foreach l,$(LAB),--lab $(l)) \
  $(if $(SEED),--seed $(SEED)) $(if $(JOBS),--jobs $(JOBS)) $(if $(STRICT),--strict) \
  $(if $(HIDDEN),--hidden)
GRADE_FLAGS = $(GRADE_OPTS) --out $(OUT)
IMAGE ?= threadlab-grader
DOCKER_MEMORY ?= 8g
DOCKER_PIDS ?= 4096
# A container with no network, a memory cap (swap included) and a process
# cap; reports written to OUT on the host, owned by the caller.
DOCKER_RUN = mkdir -p $(OUT) && docker run --rm --network none \
  --memory $(DOCKER_MEMORY) --memory-swap $(DOCKER_MEMORY) --pids-limit $(DOCKER_PIDS) \
  -e HOST_UID=$$(id -u) -e HOST_GID=$$(id -g) -v "$(abspath $(OUT))":/out

.PHONY: all deps grader grade grade-reference test skeletons check-skeletons handout dist flake coverage mutants bench batch stats clean help \
  docker-base-image docker-image docker-grade docker-grade-reference gradescope test-docker
all: grader

help:
	@sed -n '2,/^$$/{/^#/p}' Makefile | sed 's/^# \{0,1\}//'

deps:
	@grader/tools/deps.sh

grader: deps
	@$(MAKE) -s -C grader

grade: grader
ifdef SUBMISSION
	@$(GRADER) --kit $(CURDIR) --submission $(SUBMISSION) $(GRADE_FLAGS)
else
	@$(GRADER) --kit $(CURDIR) $(GRADE_FLAGS)
	@echo; echo "Coverage of your code by the public tests (information, no points):"
	@for l in $(or $(LAB),[0-9][0-9]); do for d in labs/$$l-*/ labs/$$l/; do \
	  [ -f "$$d/lab.conf" ] || continue; s=$$(basename $$d); \
	  grader/tools/coverage.sh $$d $(OUT)/coverage/$$s | head -n1; done; done
endif

grade-reference: grader
	@$(GRADER) --kit $(CURDIR) --reference $(GRADE_FLAGS)

skeletons: deps
	@grader/tools/skeletons.sh gen

check-skeletons:
	@grader/tools/skeletons.sh check

handout: deps
	@grader/tools/handout.sh handout/build
	@python3 grader/tools/site_check.py handout/build --handouts handout $(if $(SCREENSHOTS),--screenshots $(SCREENSHOTS))

dist: deps
	@grader/tools/dist.sh build build/dist

test: grader
	@grader/tools/selftest.sh

coverage: deps
	@for l in $(or $(LAB),[0-9][0-9]); do for d in reference/$$l-*/ reference/$$l/; do \
	  [ -f "$$d/lab.conf" ] || continue; \
	  grader/tools/coverage.sh $$d build/coverage/$$(basename $$d) 90 || exit 1; done; done

# Each lab with a lab.conf [bench]: our programs against their peers, run
# alternately (labs/: your code; IMPL=reference: the solution).
# Each lab's results go to build/bench/$(IMPL)/<lab>.json; then one table
# (CSV, JSON, Markdown) and one plot (PNG, SVG) of every pair measured
# (grader/tools/bench_report.py). A pair that fails to run fails make bench
# after the others ran; a ratio above its target is reported, not failed.
IMPL ?= labs
BENCH_OUT = build/bench/$(notdir $(IMPL))
bench: deps
	@rm -rf $(BENCH_OUT); mkdir -p $(BENCH_OUT); found=0; fail=0; \
	  for l in $(or $(LAB),[0-9][0-9]); do for d in $(IMPL)/$$l-*/ $(IMPL)/$$l/; do \
	  grep -qs '^\[bench\]' "$$d/lab.conf" || continue; found=1; \
	  $(MAKE) -s -C $$d bench BENCH_JSON=$(CURDIR)/$(BENCH_OUT)/$$(basename $$d).json \
	    $(if $(RUNS),RUNS=$(RUNS)) $(if $(QUICK),QUICK=$(QUICK)) || fail=1; echo; done; done; \
	  [ $$found = 1 ] || { echo "make bench: no lab in $(IMPL)/ matching '$(or $(LAB),*)' has a benchmark (lab.conf [bench])"; exit 2; }; \
	  python3 grader/tools/bench_report.py --dir $(BENCH_OUT) --impl $(notdir $(IMPL)) || fail=1; \
	  [ $$fail = 0 ] || { echo "make bench: some pairs did not run (see above)"; exit 1; }

mutants: grader
	@python3 grader/tools/mutants.py $(foreach l,$(LAB),--lab $(l)) $(if $(JOBS),--jobs $(JOBS))

batch: $(if $(SUBMISSIONS),grader)
	@[ -n "$(SUBMISSIONS)" ] || { echo "make batch: say SUBMISSIONS=DIR (one checkout or archive per student)" >&2; exit 2; }
	@python3 grader/tools/batch.py "$(SUBMISSIONS)" --out "$(if $(filter grades,$(OUT)),batch-grades,$(OUT))" \
	  $(foreach l,$(LAB),--lab $(l)) $(if $(SEED),--seed $(SEED)) $(if $(JOBS),--jobs $(JOBS))

stats:
	@[ -n "$(BATCH)" ] || { echo "make stats: say BATCH=DIR (the OUT of a make batch, e.g. batch-grades)" >&2; exit 2; }
	@python3 grader/tools/class_stats.py "$(BATCH)"

flake: grader
	@grader/tools/flake.sh $(or $(N),20) $(LAB)

docker-base-image:
	@docker/base-image.sh

docker-image:
	@command -v docker >/dev/null || { echo "make docker-image: docker is not installed (apt-get install docker.io)" >&2; exit 2; }
	docker build --network host -f docker/Dockerfile $(if $(BASE),--build-arg BASE=$(BASE)) \
	  --build-arg KIT_COMMIT=$$(git rev-parse HEAD 2>/dev/null || echo unknown) -t $(IMAGE) .

# Without SUBMISSION: this working tree's labs/, public tests, as make grade.
docker-grade:
	@$(if $(SUBMISSION),[ -d "$(SUBMISSION)" ] || { echo "make docker-grade: SUBMISSION=$(SUBMISSION) is not a directory" >&2; exit 2; };)
	@$(DOCKER_RUN) -v "$(abspath $(or $(SUBMISSION),.))":/submission:ro $(IMAGE) \
	  $(GRADE_OPTS) $(if $(SUBMISSION),,$(if $(HIDDEN),,--no-hidden))

docker-grade-reference:
	@$(DOCKER_RUN) $(IMAGE) --reference $(GRADE_OPTS)

gradescope:
	@python3 docker/gradescope/pack.py build/gradescope/threadlab-autograder$(if $(LAB),-$(subst $(eval) ,-,$(strip $(LAB)))).zip \
	  $(foreach l,$(LAB),--lab $(l))

test-docker:
	@docker/test.sh

clean:
	$(MAKE) -s -C grader clean
	rm -rf $(OUT) handout/build build labs/*/build reference/*/build
