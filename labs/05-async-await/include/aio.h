/*
 * aio.h - lab 05, async/await: futures and a single-threaded event loop.
 * The whole student API. Kit-owned and read-only: the tests include it.
 *
 * The model (the one of Python's asyncio, JavaScript and Rust's futures).
 * ONE kernel thread runs ONE loop. Work is a FUTURE: a small state machine
 * that the loop POLLS. A poll runs the future as far as it can without
 * blocking and answers AIO_READY (done; its result is set) or AIO_PENDING
 * (it cannot go on yet; before answering PENDING it arranged to be woken:
 * a timer in the loop's heap or an fd watched by epoll). A TASK is a named
 * top-level future the loop owns. The loop polls the tasks on its ready
 * queue (FIFO), then sleeps in epoll_wait until the earliest timer or an fd
 * event wakes some task, which goes back to the queue: once, however many
 * times it is woken before its poll.
 *
 * An "async function" is a future written by hand as the state machine a
 * compiler would make of it: a struct holding its locals and a state
 * number, and a poll function that switches on the state (handout, "From
 * async def to a switch"). src/echo.c holds three of them.
 *
 * Results are `long`: >= 0 a value, < 0 a negated errno (-ETIMEDOUT,
 * -ECANCELED, -ECONNRESET, ...).
 *
 * Ownership. Whoever holds a future owns it: aio_spawn takes it over (the
 * loop frees it when it is done or cancelled); a combinator owns its
 * children. Dropping a future that is still pending CANCELS it: every
 * resource it holds is released (timers leave the heap, fds leave epoll,
 * fds it opened are closed, memory is freed).
 *
 * No threads: nothing here may be called from any thread but the loop's.
 * A broken invariant stops the program with an "aio panic" line and abort().
 *
 * Forbidden in your objects: libuv (uv_*), libevent (event_*), ucontext and
 * setjmp/longjmp, pthread_create. The futures are stackless: their state
 * is in their struct, not on a stack of their own.
 */
#ifndef AIO_H
#define AIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum aio_poll { AIO_PENDING = 0, AIO_READY = 1 };

struct aio_loop;
struct aio_future;

/* What a kind of future does. poll and drop are called by the loop or by
 * the future's owner (a combinator), on the loop's thread, never
 * re-entrantly for one future. */
struct aio_future_ops {
    const char *kind;  /* "sleep", "read", "join_all", "echo_session", ... */
    /* Advance. Return AIO_READY after setting f->result, or AIO_PENDING
     * after arranging a wake-up of the current task. Never called again
     * once it returned AIO_READY. */
    int (*poll)(struct aio_future *f, struct aio_loop *lp);
    /* Release everything the future holds (timers, fd watches, fds it
     * owns, children), PENDING or not. Does NOT free f itself. */
    void (*drop)(struct aio_future *f, struct aio_loop *lp);
};

/* The header every future starts with (embed it as the FIRST member).
 * Every future is ONE block from malloc: aio_future_free ends with free(). */
struct aio_future {
    const struct aio_future_ops *ops;
    int done;     /* 1 once poll returned AIO_READY */
    long result;  /* valid once done */
};

/* ================================================================== */
/* The loop                                       src/loop.c, Task 1, 4 */
/* ================================================================== */

/* Create a loop (an epoll instance, an empty timer heap, no task).
 * NULL with errno ENOMEM / EMFILE on failure. */
struct aio_loop *aio_loop_new(void);

/* Free the loop. Tasks still there are cancelled first (their futures
 * dropped and freed). Not from inside aio_run. */
void aio_loop_free(struct aio_loop *lp);

/* The loop's clock (CLOCK_MONOTONIC), in nanoseconds. */
int64_t aio_now(struct aio_loop *lp);

/* Give fut to the loop as a task named `name` (copied; at most 31 chars
 * kept). The task is queued to be polled (FIFO) at the next turn. When
 * its future is READY, its result is stored to *result (if result is not
 * NULL) and the task and the future are freed. A task that is cancelled
 * stores -ECANCELED. Returns the task's id (> 0, never reused by this
 * loop), or -1 with errno EINVAL (fut or name NULL), ENOMEM: then fut was
 * dropped and freed. */
long aio_spawn(struct aio_loop *lp, const char *name, struct aio_future *fut,
               long *result);

/* Cancel a task that has not finished: drop and free its future (and so
 * everything it holds), store -ECANCELED, free the task. May be called
 * from inside a poll of ANOTHER task. 0, or -1 with errno ESRCH (no such
 * live task), EDEADLK (a task cancelling itself from its own poll). */
int aio_cancel(struct aio_loop *lp, long id);

/* Run until no task is left. 0, or -1 with errno EDEADLK when tasks remain
 * but nothing can ever wake them (no timer, no fd watched), or the errno
 * of a failing epoll_wait. */
int aio_run(struct aio_loop *lp);

/* What the loop holds right now: live tasks, timers in the heap, fds in
 * epoll. After every task ended or was cancelled all three are 0. */
struct aio_stats {
    long tasks, timers, watches;
    long polls;    /* task polls since the loop was created */
};
void aio_stats(struct aio_loop *lp, struct aio_stats *out);

/* ================================================================== */
/* The watchdog                                        src/loop.c, Task 5 */
/* ================================================================== */

/* After any single poll of a task that took longer than threshold_ns of
 * wall time (the poll only: not the loop's own wait in epoll_wait), call
 * fn(arg, task_name, ns_taken) (or, when fn is NULL, print
 * "aio watchdog: task '<name>' blocked the loop for <ms> ms" on stderr).
 * threshold_ns <= 0 turns it off (the default). */
typedef void (*aio_watchdog_fn)(void *arg, const char *task, int64_t ns);
void aio_watchdog(struct aio_loop *lp, int64_t threshold_ns,
                  aio_watchdog_fn fn, void *arg);

/* ================================================================== */
/* Leaf futures                                  src/loop.c, Tasks 2, 3 */
/* ================================================================== */
/* Each returns a new future, or NULL with errno ENOMEM / EINVAL. The
 * future must be polled from a task of lp. */

/* READY with result 0 once aio_now() >= deadline_ns. Timers with equal
 * deadlines fire in the order they were first polled (FIFO). */
struct aio_future *aio_sleep_until(struct aio_loop *lp, int64_t deadline_ns);
/* The same, with the deadline aio_now() + ns taken when it is created. */
struct aio_future *aio_sleep(struct aio_loop *lp, int64_t ns);

/* read(2)/write(2)/accept4(2) on a NON-BLOCKING fd (on a socket, write is
 * send(MSG_NOSIGNAL): a closed peer is -EPIPE, never a SIGPIPE), waiting in epoll for as
 * long as the call says EAGAIN. READY with the call's result (bytes, or
 * the new fd, non-blocking and close-on-exec) or -errno. The fd is NOT the
 * future's: it stays open when the future is dropped, and leaves epoll.
 * At most one pending future per fd at a time: a second one that has to
 * wait is READY with -EEXIST (epoll holds an fd once; a dup is another fd). */
struct aio_future *aio_read(struct aio_loop *lp, int fd, void *buf, size_t n);
struct aio_future *aio_write(struct aio_loop *lp, int fd, const void *buf, size_t n);
struct aio_future *aio_accept(struct aio_loop *lp, int listen_fd);

/* A non-blocking stream socket of addr's family connected to addr. READY
 * with the fd (now the caller's) or -errno. Dropped before READY, it
 * closes the socket it made. */
struct aio_future *aio_connect(struct aio_loop *lp, const struct sockaddr *addr,
                               socklen_t len);

/* ================================================================== */
/* Combinators                                src/combinators.c, Task 6 */
/* ================================================================== */
/* Each takes over the futures it is given (also when it fails: then it
 * drops and frees them) and returns a new future, or NULL with errno
 * EINVAL / ENOMEM. */

/* READY when all n children are; result n. Child i's result is stored to
 * results[i] (if results is not NULL) as soon as it is READY. Each child
 * is polled only while it is pending; a ready child releases what it held
 * at once. n == 0 is READY at the first poll. */
struct aio_future *aio_join_all(struct aio_future **futs, size_t n, long *results);

/* READY as soon as ONE child is; result: that child's index (the lowest
 * one when several are ready in the same poll). Its result goes to *value
 * (if not NULL). The others are dropped (cancelled) right then. */
struct aio_future *aio_select(struct aio_future **futs, size_t n, long *value);

/* fut's result if it is READY before ns have passed (counted from the
 * first poll), else -ETIMEDOUT, and fut is dropped (cancelled). */
struct aio_future *aio_timeout(struct aio_loop *lp, struct aio_future *fut,
                               int64_t ns);

/* Drop (cancel if pending) and free a future you own. NULL is allowed. */
void aio_future_free(struct aio_future *f, struct aio_loop *lp);

/* `await child` inside a poll function: poll child unless it is done
 * already; mark it done when it answers AIO_READY. Returns AIO_READY
 * (child->result is set) or AIO_PENDING (the current task will be woken
 * by whatever child is waiting for). */
int aio_await(struct aio_future *child, struct aio_loop *lp);

/* ================================================================== */
/* Hand-compiled async functions                   src/echo.c, Task 7  */
/* ================================================================== */

/* async def echo_session(fd):          # fd: a connected socket, now ours
 *     while (n := await read(fd, buf)) > 0:
 *         await write_all(fd, buf[:n])
 *     close(fd); return bytes_echoed
 * READY with the bytes echoed back, or -errno of a failing read/write.
 * fd is closed when the future ends or is dropped. */
struct aio_future *aio_echo_session(struct aio_loop *lp, int fd);

/* async def echo_server(listen_fd, n):
 *     for i in range(n):
 *         c = await accept(listen_fd)
 *         spawn("echo-session", echo_session(c))
 *     return n
 * Accepts n connections, each served by its own task named "echo-session";
 * READY with n (not waiting for the sessions), -errno of accept, or
 * -ENOMEM when a session cannot be made or spawned (its fd closed). The
 * listening fd stays open (it is the caller's). */
struct aio_future *aio_echo_server(struct aio_loop *lp, int listen_fd, long n);

/* async def echo_client(addr, rounds, size):
 *     fd = await connect(addr)
 *     for r in range(rounds):
 *         msg = bytes derived from (fd-independent) r and size
 *         await write_all(fd, msg); await read_exactly(fd, size) == msg
 *     close(fd); return rounds
 * READY with rounds when every reply matched, -EPROTO on a mismatch or an
 * early EOF, or -errno. The socket it made is closed when it ends or is
 * dropped. size is 1..AIO_ECHO_MAX. */
#define AIO_ECHO_MAX 4096
struct aio_future *aio_echo_client(struct aio_loop *lp, const struct sockaddr *addr,
                                   socklen_t len, long rounds, size_t size);

#endif
