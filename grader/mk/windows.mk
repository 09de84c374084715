# windows.mk - lab.mk's rules for a lab whose lab.conf says platform =
# windows: its code and tests are Windows programs.
#   compiler  x86_64-w64-mingw32-gcc (Debian gcc-mingw-w64-x86-64)
#   cmocka    compiled here from the source make deps fetched from Debian
#             (grader/tools/windows.sh: $(TL_ROOT)/build/cmocka-win), one
#             file into each build, so no Windows library is kept anywhere
#   harness   grader/harness/tl_harness_win.c (the tl_harness.h API on Win32)
#   a test    $(BUILD)/win/tests/NAME.exe, and $(BUILD)/tests/NAME: a script
#             that runs it under Wine (grader/tools/wine-run.sh), which is
#             what the grader, make run and make test call
# Only the plain and coverage variants exist: ThreadSanitizer, ASan and
# valgrind do not follow a program under Wine.
CC := x86_64-w64-mingw32-gcc
.DEFAULT_GOAL := all
CMOCKA_WIN := $(TL_ROOT)/build/cmocka-win
ifeq ($(filter plain coverage,$(VARIANT)),)
$(error $(LAB_SLUG) is a Windows lab: VARIANT=$(VARIANT) does not run under Wine (plain or coverage))
endif
CPPFLAGS += -I$(CMOCKA_WIN)/include -D_WIN32_WINNT=0x0600
LDFLAGS_coverage :=
PERTURB_WRAP :=
LDLIBS_ALL = $(LAB_LDLIBS) $(LDLIBS)
HARNESS := $(BUILD)/harness/tl_harness_win.o $(BUILD)/harness/cmocka.o

# cmocka's own configuration, which its CMake build would write to
# config.h: what mingw-w64's C runtime has.
CMOCKA_DEFS := -DHAVE_SIGNAL_H -DHAVE_SETJMP_H -DHAVE_STDARG_H -DHAVE_STDDEF_H -DHAVE_STDINT_H \
  -DHAVE_INTTYPES_H -DHAVE_MALLOC_H -DHAVE_STRING_H -DHAVE_STDLIB_H -DHAVE_STDIO_H -DHAVE_TIME_H \
  -DHAVE_IO_H -DHAVE_GCC_THREAD_LOCAL_STORAGE -DHAVE_STRUCT_TIMESPEC -DHAVE_SNPRINTF \
  -DHAVE_VSNPRINTF -DHAVE_SIGNAL
$(BUILD)/harness/cmocka.o: $(CMOCKA_WIN)/src/cmocka.c
	@test -f $< || { echo "$(LAB_SLUG) needs cmocka's source for Windows in $(CMOCKA_WIN): run make deps"; exit 1; }
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g -w $(CMOCKA_DEFS) -I$(CMOCKA_WIN)/include -c $< -o $@

$(BUILD)/harness/tl_harness_win.o: $(TL_ROOT)/grader/harness/tl_harness_win.c $(TL_ROOT)/grader/harness/tl_harness.h $(TL_ROOT)/grader/include/tl_proto.h
	@mkdir -p $(dir $@)
	$(CC) -I$(CMOCKA_WIN)/include $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/win/%.exe: %.c $(OBJS) $(HARNESS) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $< $(OBJS) $(HARNESS) $(LDLIBS_ALL) -o $@

$(TEST_BINS): $(BUILD)/%: $(BUILD)/win/%.exe
	@mkdir -p $(dir $@)
	@printf '#!/bin/sh\n# %s under Wine\nexec "%s" "%s" "%s" "$$@"\n' '$*' \
	  '$(TL_ROOT)/grader/tools/wine-run.sh' '$(TL_ROOT)' '$(abspath $<)' >$@
	@chmod +x $@
