/*
 * tlsmod.c - lab 07's dlopen'ed module (kit-owned; built by the lab's
 * Makefile into build/<variant>/mod/libtlsmod.so).
 *
 * Two thread-local variables. tlsmod_tag lives in .tdata (it has an
 * initial value, copied into every thread's block); tlsmod_counter lives in
 * .tbss (zero in every new thread) and so comes after tlsmod_tag in the
 * module's TLS block: its offset there is not 0. Compiled with -fPIC, every
 * access below is a general-dynamic one: a call to __tls_get_addr with this
 * module's id and the variable's offset (see `objdump -d`).
 */
#include <stdint.h>

__thread uint64_t tlsmod_tag[4] = {0x7e57ab1e0000cafeull, 1, 2, 3};
__thread long tlsmod_counter;

/* This thread's copy of tlsmod_counter, as the module itself sees it. */
long *tlsmod_counter_addr(void)
{
    return &tlsmod_counter;
}

/* This thread's copy of tlsmod_tag. */
uint64_t *tlsmod_tag_addr(void)
{
    return tlsmod_tag;
}

/* Add one to this thread's counter and return the new value. */
long tlsmod_bump(void)
{
    return ++tlsmod_counter;
}
