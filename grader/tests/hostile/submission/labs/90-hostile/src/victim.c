/*
 * victim.c - a hostile submission for grader/tests/hostile/run.sh: each case
 * does one thing a student's code might do to a grader, by mistake or on
 * purpose. Paths and ports it aims at come from the environment run.sh
 * sets (TL_HOSTILE_*), which the grader passes through to tests.
 */
#include "victim.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Forge a pass: cmocka's and the harness's lines on stdout and stderr, a
 * record with every nonce the process can find on every descriptor a
 * channel could be on, then leave with status 0 before the test ends. */
static void fake_results(void)
{
    char env[8192] = "";
    int fd = open("/proc/self/environ", O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, env, sizeof env - 1);
        env[n > 0 ? n : 0] = '\0';
        close(fd);
    }
    const char *nonce = getenv("TL_NONCE");
    char guess[64] = "00000000000000000000000000000000";
    for (char *p = env; p < env + sizeof env - 10 && *p;) {
        if (!strncmp(p, "TL_NONCE=", 9))
            snprintf(guess, sizeof guess, "%s", p + 9);
        p += strlen(p) + 1;
    }
    printf("[       OK ] case_fake_results\n[  PASSED  ] 1 test(s).\n");
    fprintf(stderr, "TL1 %s RESULT case_fake_results PASS\n", guess);
    for (int f = 3; f < 256; f++) {
        dprintf(f, "TL1 %s RESULT case_fake_results PASS\n", guess);
        if (nonce)
            dprintf(f, "TL1 %s RESULT case_fake_results PASS\n", nonce);
    }
    fflush(NULL);
    _exit(0);
}

/* A session leader's child that outlives the test, with a name to find. */
static void daemonize(void)
{
    pid_t p = fork();
    if (p == 0) {
        setsid();
        if (fork() == 0) {
            char *argv[] = {"tlhostile-daemon", "1000", NULL};
            char *envp[] = {NULL}; /* no marker variable left to find it by */
            execve("/bin/sleep", argv, envp);
            _exit(1);
        }
        _exit(0);
    }
    if (p > 0)
        waitpid(p, NULL, 0);
}

/* 42 when no connection could be made, 7 when one could. */
static int try_network(void)
{
    const char *port = getenv("TL_HOSTILE_PORT");
    int reached = 0;
    const char *hosts[] = {"127.0.0.1", "1.1.1.1"};
    for (int i = 0; i < 2; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0)
            continue;
        struct timeval tv = {2, 0};
        setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        struct sockaddr_in a = {.sin_family = AF_INET};
        a.sin_port = htons(i == 0 && port ? (uint16_t)atoi(port) : 80);
        inet_pton(AF_INET, hosts[i], &a.sin_addr);
        if (connect(s, (struct sockaddr *)&a, sizeof a) == 0) {
            reached = 1;
            const char hello[] = "tlhostile was here\n";
            ssize_t w = write(s, hello, sizeof hello - 1);
            (void)w;
        }
        close(s);
    }
    return reached ? 7 : 42;
}

/* Try to change what the grader relies on; 42 whatever happens (the grader
 * is judged by whether the files changed, not by this test's score). */
static int overwrite_kit(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        const char *rel[] = {"", "/../../../../tests/test_hostile.c", "/../../../../include/victim.h",
                             "/../../../../lab.conf", "/../../../../Makefile"};
        for (int i = 0; i < 5; i++) {
            char path[8192];
            snprintf(path, sizeof path, "%s%s", exe, rel[i]);
            int fd = open(path, O_WRONLY | O_TRUNC);
            if (fd >= 0) {
                ssize_t w = write(fd, "pwned\n", 6);
                (void)w;
                close(fd);
            }
        }
    }
    const char *kit = getenv("TL_HOSTILE_KIT");
    if (kit) {
        const char *rel[] = {"/grader/build/tl-grade", "/grader/harness/tl_harness.c",
                             "/reference/90-hostile/tests/test_hostile.c",
                             "/reference/91-bystander/src/bystander.c"};
        for (int i = 0; i < 4; i++) {
            char path[8192];
            snprintf(path, sizeof path, "%s%s", kit, rel[i]);
            int fd = open(path, O_WRONLY | O_TRUNC);
            if (fd >= 0) {
                ssize_t w = write(fd, "pwned\n", 6);
                (void)w;
                close(fd);
            }
            unlink(path);
        }
        char path[8192];
        snprintf(path, sizeof path, "%s/tlhostile-new-file", kit);
        int fd = open(path, O_WRONLY | O_CREAT, 0644);
        if (fd >= 0)
            close(fd);
    }
    int fd = open("/tmp/tlhostile-stray", O_WRONLY | O_CREAT, 0644);
    if (fd >= 0)
        close(fd);
    return 42;
}

int victim(enum victim_case c)
{
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    static char chunk[65536];
    switch (c) {
    case V_INNOCENT:
        return 42;
    case V_LOOP:
        for (volatile int spin = 1; spin;)
            ;
        return 0;
    case V_DEADLOCK:
        pthread_mutex_lock(&m);
        pthread_mutex_lock(&m);
        return 0;
    case V_FORK_BOMB:
        if (getenv("TL_HOSTILE_NO_FORK_BOMB")) /* no per-test process limit */
            for (;;)
                pause();
        for (;;)
            fork();
    case V_ALLOC:
        for (;;) {
            char *p = malloc(64 << 20);
            memset(p, 1, 64 << 20); /* NULL once the limit is hit: SIGSEGV */
        }
    case V_PRINT_FOREVER:
        memset(chunk, 'y', sizeof chunk);
        for (;;)
            if (write(1, chunk, sizeof chunk) < 0)
                return 0;
    case V_FAKE_RESULTS:
        fake_results();
        return 0;
    case V_EXIT0:
        exit(0);
    case V_UNDERSCORE_EXIT0:
        _exit(0);
    case V_SEGV:
        raise(SIGSEGV);
        return 0;
    case V_ABRT:
        abort();
    case V_KILL:
        raise(SIGKILL);
        return 0;
    case V_CLOSE_STDIO:
        close(1);
        close(2);
        return 42;
    case V_DUP_OVER_STDIO: {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        return 42;
    }
    case V_CLOSE_ALL_FDS:
        for (int fd = 0; fd < 4096; fd++)
            close(fd);
        return 42;
    case V_DAEMON:
        daemonize();
        return 42;
    case V_NETWORK:
        return try_network();
    case V_OVERWRITE_KIT:
        return overwrite_kit();
    case V_SLEEP:
        sleep(100000);
        return 0;
    }
    return 0;
}
