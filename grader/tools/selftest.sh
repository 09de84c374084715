#!/usr/bin/env bash
# selftest.sh - the kit's own test suite (make test). Each check prints
# PASS/FAIL and, on failure, the command that reproduces it.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
g=grader/build/tl-grade
work=build/selftest
rm -rf "$work"; mkdir -p "$work"
pass=0; fail=0
# Each result line ends with the seconds since the previous one: where the
# suite's time goes (CI has a budget).
last=$SECONDS
lap() { lap=$((SECONDS - last))s; last=$SECONDS; }
ok()  { lap; echo "PASS  $1  [$lap]"; pass=$((pass + 1)); }
bad() { lap; echo "FAIL  $1  [$lap]"; shift; for l in "$@"; do echo "      $l"; done; fail=$((fail + 1)); }
# The handout site just built in $work/handout, checked in headless
# Chromium (grader/tools/site_check.py): links, rendering, two screenshots.
site_check() {
  if python3 grader/tools/site_check.py "$work/handout" --handouts handout >"$work/site-check.log" 2>&1; then
    ok "handout site: $(sed -n 's/^site check: \([0-9]*\) pages, \([0-9]*\) links.*/\1 pages, \2 links and sources resolve/p' "$work/site-check.log"); all render in Chromium; index and lab 12 screenshots"
  else
    bad "handout site (links, Chromium)" "$(grep '^FAIL' "$work/site-check.log" | head -5)" \
        "reproduce: make handout (or python3 grader/tools/site_check.py $work/handout --handouts handout)"
  fi
}

# The student distribution (make dist) has no reference/: its make test
# checks what a student's copy can check, and stops there.
if [ ! -d reference ]; then
  if make -s -C grader test >"$work/unit.log" 2>&1; then ok "grader unit tests ($(grep -c '\[       OK \]' "$work/unit.log") passed)"
  else bad "grader unit tests" "$(grep -E 'FAILED|ERROR' "$work/unit.log" | head -5)" "reproduce: make -C grader test"; fi
  # make grade: every lab builds without a warning, its public tests run
  # and report (the score is the student's business)
  # (TL_SELFTEST_LABS="NN ...": only those, and no handouts: the kit's own
  # make test uses it on its copy, whose files it has already checked)
  make -s grade OUT="$work/grade" ${TL_SELFTEST_LABS:+LAB="$TL_SELFTEST_LABS"} >"$work/grade.log" 2>&1; rc=$?
  nlabs=$(if [ -n "${TL_SELFTEST_LABS:-}" ]; then echo $TL_SELFTEST_LABS | wc -w; else ls -d labs/[0-9][0-9]-*/ | wc -l; fi)
  if [ $rc = 0 ] && jq -e --argjson n "$nlabs" '(.extra_data.labs|length) == $n and
        all(.extra_data.labs[]; .built) and all(.tests[]; (.output|type) == "string")' \
        "$work/grade/results.json" >/dev/null && xmllint --noout "$work/grade/junit.xml"; then
    ok "make grade: all $nlabs labs build and their public tests run ($(jq '.tests|length' "$work/grade/results.json") items, score $(jq .score "$work/grade/results.json"))"
  else
    bad "make grade" "$(grep -E 'build failed|rror|Score' "$work/grade.log" | head -4)" "reproduce: make grade"
  fi
  if ! grep -q 'build warnings:' "$work/grade.log"; then ok "every lab builds without a warning"
  else bad "every lab builds without a warning" "$(grep -A3 'build warnings:' "$work/grade.log" | head -8)" \
           "reproduce: make grade LAB=NN"; fi
  if [ -z "${TL_SELFTEST_LABS:-}" ]; then
    if grader/tools/handout.sh "$work/handout" >"$work/handout.log" 2>&1; then ok "handouts build to HTML"
    else bad "handouts build to HTML" "$(tail -3 "$work/handout.log")" "reproduce: make handout"; fi
    # the site in Chromium, where the student has it (make deps installs it as root)
    if command -v chromium >/dev/null; then site_check; fi
  fi
  echo
  echo "selftest (student distribution): $pass passed, $fail failed in $((SECONDS / 60)) min $((SECONDS % 60)) s"
  [ "$fail" = 0 ]
  exit
fi

# 1. The grader's own unit tests.
if make -s -C grader test >"$work/unit.log" 2>&1; then ok "grader unit tests ($(grep -c '\[       OK \]' "$work/unit.log") passed)"
else bad "grader unit tests" "$(grep -E 'FAILED|ERROR' "$work/unit.log" | head -5)" "reproduce: make -C grader test"; fi

# 1b. Hostile submissions (grader/tests/hostile): crashes, hangs, a fork
#     bomb, fake results, daemons, network and kit writes are each scored as
#     they should be, and cost nothing to the rest of the run or the host.
if grader/tests/hostile/run.sh >"$work/hostile.log" 2>&1; then
  ok "hostile-submission suite ($(tail -n1 "$work/hostile.log" | sed 's/^hostile: //'); isolation: $(sed -n 's/^ *isolation: //p' "$work/hostile.log" | cut -c1-90)...)"
else
  bad "hostile-submission suite" "$(grep -A2 '^FAIL' "$work/hostile.log" | head -9)" "reproduce: grader/tests/hostile/run.sh"
fi

# 1c. Batch grading: a small class (perfect, skeleton, compile error,
#     hostile archives, a stray file) into one gradebook; a regrade agrees;
#     the class statistics of that batch (pass rates, histogram, page).
if grader/tests/batch_test.sh >"$work/batch.log" 2>&1; then
  ok "batch grading ($(grep -c '^PASS' "$work/batch.log") checks: gradebook, archives refused, regrade gives the same score, class statistics)"
else
  bad "batch grading" "$(grep -A2 '^FAIL' "$work/batch.log" | head -9)" "reproduce: grader/tests/batch_test.sh"
fi

# 2. labs/ is what reference/ generates.
if grader/tools/skeletons.sh check >"$work/skel.log" 2>&1; then ok "skeletons in step with reference"
else bad "skeletons in step with reference" "$(head -5 "$work/skel.log")" "reproduce: make check-skeletons"; fi

# 2b. Every mutant listed as equivalent is still generated: ids are
#     file:line, so an edit above a listed line moves it and its reason
#     would be lost (found here, not at the end of an hours-long make mutants).
if [ -f grader/tools/mutants.py ] && [ -d reference ]; then
  if python3 grader/tools/mutants.py --check-equivalents >"$work/eqids.log" 2>&1; then ok "$(sed 's/^mutants: //' "$work/eqids.log")"
  else bad "equivalent mutants' ids" "$(head -8 "$work/eqids.log")" "reproduce: python3 grader/tools/mutants.py --check-equivalents"; fi
fi

# Parsed, not grepped: results.json with jq, junit.xml with xmllint.
wellformed() { # dir label
  jq -e '(.score|type=="number") and (.tests|type=="array") and
         all(.tests[]; (.name|type=="string") and (.score|type=="number") and
             (.max_score|type=="number") and (.status=="passed" or .status=="failed") and
             (.output|type=="string") and (.visibility|type=="string"))' "$1/results.json" >/dev/null &&
  xmllint --noout "$1/junit.xml"
}

# 3. Every reference scores 100, and the reports are well-formed.
$g --kit "$root" --reference --out "$work/ref" >"$work/ref.log" 2>&1; rc=$?
if [ $rc = 0 ] && wellformed "$work/ref" &&
   jq -e '(.extra_data.labs|length) > 0 and all(.extra_data.labs[]; .score == 100 and .max_score == 100)' \
      "$work/ref/results.json" >/dev/null; then
  ok "every reference scores 100/100 ($(jq -r '[.extra_data.labs[].lab]|join(", ")' "$work/ref/results.json"))"
else
  bad "every reference scores 100/100" "$(grep -E 'FAIL|note|Score' "$work/ref.log" | head -12)" \
      "reproduce: make grade-reference"
fi

# 4. Every skeleton builds and scores 0, with a message on every failed test
#    and no grader error; hidden tests too (the skeleton as a submission).
$g --kit "$root" --submission "$root" --out "$work/skel" >"$work/skel-grade.log" 2>&1; rc=$?
if [ $rc = 0 ] && wellformed "$work/skel" &&
   jq -e '.score == 0 and all(.extra_data.labs[]; .built and .max_score == 100) and
          all(.tests[]; .status == "failed" and (.output|length) > 20) and
          all(.tests[]; (.name|test("/(manifest|stage)$"))|not)' "$work/skel/results.json" >/dev/null; then
  ok "every skeleton builds and scores 0 with a message per test ($(jq '.tests|length' "$work/skel/results.json") items)"
else
  bad "every skeleton builds and scores 0" \
      "$(jq -r '.tests[] | select(.status=="passed" or (.output|length) <= 20) | .name' "$work/skel/results.json" 2>/dev/null | head -5)" \
      "$(grep -E 'build failed|Score' "$work/skel-grade.log" | head -3)" \
      "reproduce: build/... $g --kit . --submission . (or make grade)"
fi

# 4a. ... and builds without a compiler warning: a warning in a file the
#     student has not touched yet (a helper only the solution calls) is
#     noise that hides the warnings of their own code.
if ! grep -q 'build warnings:' "$work/skel-grade.log"; then
  ok "every skeleton builds without a warning"
else
  bad "every skeleton builds without a warning" \
      "$(grep -A3 'build warnings:' "$work/skel-grade.log" | head -8)" \
      "reproduce: make grade LAB=NN HIDDEN=1 (the lab whose warning this is)"
fi

# 4b. The submission path: a "perfect student" (each student file is the
#     reference's with SOLUTION resolved) scores full marks, except the
#     first lab, given a compile error: 0 with the compiler's words, while
#     the other labs are still graded. Every lab's tests stage runs; the
#     race, memory and perf stages run for the labs with a [perf] stage
#     (perf runs only on this path; race and memory already ran in 3, and
#     the stage code is the same on both paths: these labs cover it).
sub="$work/perfect-student"
labs=$(cd reference && ls -d [0-9][0-9]-*/ | tr -d /)
first=$(echo "$labs" | head -n1)
perfect_lab() { # lab dest_root: the reference's student files, SOLUTION resolved
  for f in $(grader/tools/conf-get.sh "reference/$1/lab.conf" lab student_files); do
    mkdir -p "$2/labs/$1/$(dirname "$f")"
    unifdef -DSOLUTION -o "$2/labs/$1/$f" "reference/$1/$f" || [ $? = 1 ]
  done
}
for l in $labs; do perfect_lab "$l" "$sub"; done
broken=$(grader/tools/conf-get.sh "reference/$first/lab.conf" lab student_files | tr ' ' '\n' | grep '\.c$' | head -n1)
echo "this line is not C;" >> "$sub/labs/$first/$broken"
perf_labs=$(for l in $labs; do [ "$l" != "$first" ] && grep -q '^\[perf\]' "reference/$l/lab.conf" && echo "--lab ${l%%-*}"; done | tr "\n" " ")
full=1
$g --kit "$root" --submission "$sub" --stages tests --out "$work/sub" >"$work/sub.log" 2>&1; rc=$?
if [ -n "$perf_labs" ]; then
  # shellcheck disable=SC2086
  $g --kit "$root" --submission "$sub" $perf_labs --out "$work/sub-perf" >"$work/sub-perf.log" 2>&1 || full=0
  jq -e 'all(.extra_data.labs[]; .built and .score == .max_score) and all(.tests[]; .status == "passed")
         and any(.tests[]; .name|test("perf"))' "$work/sub-perf/results.json" >/dev/null 2>&1 || full=0
fi
if [ $rc = 0 ] && [ $full = 1 ] && wellformed "$work/sub" &&
   jq -e --arg f "$first" 'all(.extra_data.labs[]; if .lab == $f then (.built|not) and .score == 0 else .built and .score == .max_score end)
          and all(.tests[]; if (.name|startswith($f + "/")) then (.output|test("did not compile")) and (.output|test("error")) else .status == "passed" end)' \
      "$work/sub/results.json" >/dev/null; then
  ok "a submission: perfect labs score full marks (every stage, perf too, for$(echo " $perf_labs" | sed 's/ *--lab / /g; s/ *$//')), the lab with a compile error scores 0 and shows the compiler's error"
else
  bad "submission grading" "$(grep -hE 'FAIL|build failed|Score' "$work/sub.log" "$work/sub-perf.log" 2>/dev/null | head -8)" \
      "reproduce: see $work/perfect-student; $g --kit . --submission $work/perfect-student"
fi

# 4c. A forbidden call in otherwise perfect code costs the lab its points,
#     and the message names the call (each lab with a [forbidden] list).
for l in $labs; do
  sym=$(grader/tools/conf-get.sh "reference/$l/lab.conf" forbidden symbols | awk '{print $1}')
  [ -n "$sym" ] || continue
  nn=${l%%-*}; fsub="$work/forbidden-$nn"
  perfect_lab "$l" "$fsub"
  f=$(grader/tools/conf-get.sh "reference/$l/lab.conf" lab student_files | tr ' ' '\n' | grep '\.c$' | head -n1)
  # A Windows lab's objects are PE, which has no PLT: a plain call.
  plt=@PLT; [ "$(grader/tools/conf-get.sh "reference/$l/lab.conf" lab platform)" = windows ] && plt=
  printf '__asm__(".globl tl_selftest_cheat\\ntl_selftest_cheat: call %s%s\\n ret");\n' "$sym" "$plt" >> "$fsub/labs/$l/$f"
  $g --kit "$root" --submission "$fsub" --lab "$nn" --stages tests --out "$fsub/out" >"$fsub/grade.log" 2>&1
  if jq -e --arg s "$sym" '.score == 0 and (.tests|length) > 0 and all(.tests[]; .output|test("forbidden call.*" + $s))' \
       "$fsub/out/results.json" >/dev/null 2>&1; then
    ok "$l: a call to $sym() in student code scores 0 with a message naming it"
  else
    bad "$l: forbidden call $sym() not caught" "$(grep -E 'FAIL|Score' "$fsub/grade.log" | head -4)" \
        "reproduce: $g --kit . --submission $fsub --lab $nn"
  fi
done

# 5. Planted bugs lose points: the test each patch names fails.
for p in grader/tests/bugs/*.patch; do
  [ -f "$p" ] || continue
  name=$(basename "$p" .patch); nn=${name%%-*}
  expect=$(sed -n 's/^Expect-Fail:[[:space:]]*//p' "$p" | head -n1)
  slug=$(cd reference && ls -d "$nn"-*/ | head -n1 | tr -d /)
  kit="$work/bug-$name"; mkdir -p "$kit/reference"
  ln -s "$root/grader" "$kit/grader"
  # A Windows lab's cmocka source and Wine prefix (make deps) are the kit's.
  mkdir -p "$kit/build"
  for w in cmocka-win wine-prefix; do [ -e "build/$w" ] && ln -s "$root/build/$w" "$kit/build/$w"; done
  cp -a "reference/$slug" "$kit/reference/"; rm -rf "$kit/reference/$slug/build"
  if ! patch -s -p1 -d "$kit" <"$p" >"$kit/patch.log" 2>&1; then
    bad "planted bug $name" "the patch no longer applies: $(head -3 "$kit/patch.log")"; continue
  fi
  # Only the test the patch names: a bug that makes joins hang would
  # otherwise cost every other test its timeout (minutes, not seconds).
  $g --kit "$kit" --reference --lab "$nn" --test "$expect" --out "$kit/out" >"$kit/grade.log" 2>&1
  st=$(jq -r --arg t "$slug/$expect" '.tests[]|select(.name==$t)|.status' "$kit/out/results.json" 2>/dev/null)
  pts=$(jq -r --arg t "$slug/$expect" '.tests[]|select(.name==$t)|.max_score' "$kit/out/results.json" 2>/dev/null)
  if [ "$st" = failed ]; then
    ok "planted bug $name fails $expect (-$pts points): $(jq -r --arg t "$slug/$expect" '.tests[]|select(.name==$t)|.output' "$kit/out/results.json" | head -n1 | cut -c1-110)"
  else
    bad "planted bug $name must fail $expect (status: ${st:-missing})" \
        "reproduce: patch -p1 < $p in a copy of the kit, then make grade-reference LAB=$nn"
  fi
done

# 5b. make deps, as a user who cannot install, names the one command to run.
fake="$work/fakebin"; mkdir -p "$fake"
printf '#!/bin/sh\n[ "$3" = jq ] && exit 1\nexec /usr/bin/dpkg-query "$@"\n' > "$fake/dpkg-query"; chmod 755 "$fake/dpkg-query"
asnobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
   asnobody test -r grader/tools/deps.sh -a -x "$fake/dpkg-query" 2>/dev/null; then
  out=$(asnobody env PATH="$fake:$PATH" grader/tools/deps.sh 2>&1); rc=$?
  if [ $rc != 0 ] && echo "$out" | grep -qx '    sudo apt-get install -y jq'; then ok "make deps without root prints the single apt command"
  else bad "make deps without root" "exit $rc: $out" "reproduce: as a non-root user with a package missing, make deps"; fi
else
  out=$(env PATH="$fake:$PATH" TL_DEPS_NO_INSTALL=1 grader/tools/deps.sh 2>&1); rc=$?
  if [ $rc != 0 ] && echo "$out" | grep -qx '    sudo apt-get install -y jq'; then ok "make deps without root prints the single apt command"
  else bad "make deps without root" "exit $rc: $out"; fi
fi

# 5c. The mutation tool works end to end: a fast subset (three mutants per
#     lab, each of another operator, the operators taken in turn across the
#     labs; tests stage only), so the suite's time grows slowly with the
#     labs. The full run, with its 90% bar, is make mutants.
if python3 grader/tools/mutants.py --fast --per-lab 3 --jobs 2 --out "$work/mutants" >"$work/mutants.log" 2>&1; then
  rates=$(sed -n 's/^\([0-9][0-9]-[^:]*\): .*kill rate \([0-9.]*%\).*/\1 \2/p' "$work/mutants.log" | paste -sd, - | sed 's/,/, /g')
  ok "mutation tool, fast subset (3 a lab, tests stage only; the 90% bar is for make mutants): $rates"
else
  bad "mutants (fast subset)" "$(tail -5 "$work/mutants.log")" "reproduce: python3 grader/tools/mutants.py --fast"
fi

# 5d. Coverage: the lab's tests run at least 90% of the lines of the
#     reference's student files (gcov, reported by gcovr; branches reported).
for l in $labs; do
  if cov=$(grader/tools/coverage.sh "reference/$l" "$work/coverage/$l" 90 2>&1); then
    ok "coverage $(echo "$cov" | head -n1 | sed 's/^coverage: //; s/ (.*//')"
  else
    bad "coverage of $l below 90% of lines" "$(echo "$cov" | head -n3)" "reproduce: make coverage LAB=${l%%-*}"
  fi
done

# 5e. Deterministic replay: a stress test tagged "replay" (a user-level
#     scheduler on one kernel thread, which asks tl_perturb_pick at its
#     switch points) makes the same perturbed choices for the same seed and
#     others for another seed; the trace line after a perturbed run says so.
for l in $labs; do
  make -s -C "reference/$l" tests >"$work/replay-$l.log" 2>&1 || { bad "replay: reference/$l does not build"; continue; }
  for t in $(make -s -C "reference/$l" list 2>/dev/null | awk '$NF ~ /replay/ || / replay/ {print $1}' | sort -u); do
    tr() { make -s -C "reference/$l" run T="$t" SEED="$1" PERTURB=1 2>&1 | sed -n 's/^tl: perturbed run.*: \([0-9]*\) points perturbed.*trace \([0-9a-f]*\)$/\1 \2/p'; }
    a=$(tr 11); b=$(tr 11); c=$(tr 12)
    if [ -n "$a" ] && [ "${a%% *}" -gt 0 ] && [ "$a" = "$b" ] && [ "${a#* }" != "${c#* }" ]; then
      ok "$l/$t: a perturbed schedule replays from its seed (seed 11 twice: ${a#* }, ${a%% *} choices perturbed; seed 12: ${c#* })"
    else
      bad "$l/$t: perturbed schedule does not replay" "seed 11: '$a', again: '$b', seed 12: '$c'" \
          "reproduce: make -C reference/$l run T=$t SEED=11 PERTURB=1 (twice)"
    fi
  done
done

# 5f. Benchmarks (lab.conf [bench]): the reference's programs and their
#     peers build and agree on their answers (one quick run of each pair:
#     a check, not a measurement: make bench measures), and the skeleton's
#     build, so a student can run them on their own code.
for l in $labs; do
  grep -q '^\[bench\]' "reference/$l/lab.conf" || continue
  if make -s -C "reference/$l" bench QUICK=1 >"$work/bench-$l.log" 2>&1 &&
     make -s -C "labs/$l" bench-build >"$work/bench-skel-$l.log" 2>&1; then
    ok "$l: benchmark pairs build and run (quick), skeleton's too: $(grep -cE '[0-9]x( |$)' "$work/bench-$l.log") pair(s)"
  else
    bad "$l: benchmark" "$(grep -hE 'FAIL|rror' "$work/bench-$l.log" "$work/bench-skel-$l.log" | head -4)" \
        "reproduce: make -C reference/$l bench QUICK=1; make -C labs/$l bench-build"
  fi
done

# 5g. make bench's report: the quick results of 5f, gathered as make bench
#     gathers them, give one CSV row per pair, a table and a plot.
rep="$work/bench-report"; mkdir -p "$rep"; npairs=0
for l in $labs; do
  [ -f "reference/$l/build/plain/bench.json" ] || continue
  cp "reference/$l/build/plain/bench.json" "$rep/$l.json"
  npairs=$((npairs + $(grep -cE '[0-9]x( |$)' "$work/bench-$l.log")))
done
if [ "$npairs" -gt 0 ]; then
  if python3 grader/tools/bench_report.py --dir "$rep" --impl reference >"$work/bench-report.log" 2>&1 &&
     [ "$(($(wc -l <"$rep/results.csv") - 1))" = "$npairs" ] &&
     head -c 8 "$rep/ratios.png" | grep -q PNG && grep -q '<svg' "$rep/ratios.svg"; then
    ok "make bench's report: $npairs pair(s) in results.csv, table.md, ratios.png and ratios.svg"
  else
    bad "make bench's report" "$(tail -3 "$work/bench-report.log")" \
        "reproduce: python3 grader/tools/bench_report.py --dir <folder of the labs' bench.json>"
  fi
fi

# 6. Handouts build, each with its generated grading table, to a site whose
#    links all resolve and whose pages all render in headless Chromium.
if grader/tools/handout.sh "$work/handout" >"$work/handout.log" 2>&1; then ok "handouts build to HTML"
else bad "handouts build to HTML" "$(tail -3 "$work/handout.log")" "reproduce: make handout"; fi
site_check

# 7. make dist: the student distribution holds no solution text (and the
#    check finds one when it is there); unpacked in a fresh directory, its
#    own make test (the student side: grader tests, make grade of every
#    lab, handouts) passes.
if make -s dist >"$work/dist.log" 2>&1; then
  leak=$(mktemp -d); cp -r build/dist/threadlab "$leak/"
  f=$(grep -l '#ifdef SOLUTION' reference/*/src/*.c | head -n1)
  sed -n '/#ifdef SOLUTION/,/#endif/p' "$f" | head -40 >"$leak/threadlab/handout/pasted.md"
  if grader/tools/dist.sh check "$leak/threadlab" >"$work/dist-leak.log" 2>&1; then
    bad "make dist: the check misses a solution block pasted into a handout" "$(tail -2 "$work/dist-leak.log")" \
        "reproduce: grader/tools/dist.sh check <a copy of build/dist/threadlab with $f's SOLUTION block in it>"
  else
    # its labs/ and handouts are this kit's (graded and built above), so
    # the copy grades two labs, not thirteen again
    fresh=$(mktemp -d); tar -C "$fresh" -xzf build/dist/threadlab.tar.gz
    same=$(diff -rq -x hidden-tests -x build labs "$fresh/threadlab/labs" && diff -rq -x build handout "$fresh/threadlab/handout")
    if [ -z "$same" ] && (cd "$fresh/threadlab" && TL_SELFTEST_LABS="00 02" TL_DEPS_NO_WINDOWS=1 make -s test) >"$work/dist-test.log" 2>&1; then
      ok "make dist: $(sed -n 's/^dist check: \([0-9]*\) text files, no solution text.*/no solution text in its \1 text files/p' "$work/dist.log"); a pasted solution block is caught; labs/ and handouts as here; unpacked fresh, $(grep -E '^selftest' "$work/dist-test.log" | sed 's/^selftest //')"
    else
      bad "make dist: make test in the unpacked distribution" "$same" "$(grep -A2 '^FAIL' "$work/dist-test.log" | head -8)" \
          "reproduce: make dist && tar -C /tmp -xzf build/dist/threadlab.tar.gz && make -C /tmp/threadlab test"
    fi
    rm -rf "$fresh"
  fi
  rm -rf "$leak"
else
  bad "make dist" "$(tail -5 "$work/dist.log")" "reproduce: make dist"
fi

echo
echo "selftest: $pass passed, $fail failed in $((SECONDS / 60)) min $((SECONDS % 60)) s"
[ "$fail" = 0 ]
