# perturb.mk - the pthread calls whose every use goes through the schedule
# perturbation wrappers of grader/harness/tl_perturb.c. One list, included
# by lab.mk (every lab's test binaries) and grader/Makefile (the grader's
# own tests), so the two links cannot disagree.
PERTURB_CALLS := pthread_mutex_lock pthread_mutex_trylock pthread_mutex_unlock \
  pthread_cond_wait pthread_cond_timedwait pthread_cond_signal pthread_cond_broadcast
PERTURB_WRAP := $(foreach f,$(PERTURB_CALLS),-Wl,--wrap=$(f))
