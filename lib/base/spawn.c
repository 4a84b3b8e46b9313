/* spawn.c - the one way a child process is run: argv, an explicit
 * environment, captured output, a timeout; detached children holding
 * nothing of ours.
 * Layer: base (README, "Map of the code"). */
#include "spawn.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
#define KILL_GRACE_MS 1000

/* Pipes of one child: [0] read end, [1] write end; -1 when unused. */
struct pipes {
	int in[2], out[2], err[2];
	int exec[2]; /* close-on-exec: the child writes errno if execve fails */
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void pipes_close(struct pipes *p)
{
	int i;

	for (i = 0; i < 2; i++) {
		close_fd(&p->in[i]);
		close_fd(&p->out[i]);
		close_fd(&p->err[i]);
		close_fd(&p->exec[i]);
	}
}

static const char *env_path(const char *const *envp)
{
	size_t i;

	for (i = 0; envp && envp[i]; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			return envp[i] + 5;
	return DEFAULT_PATH;
}

int spawn_which(const char *name, const char *path, struct buf *out,
		struct err *e)
{
	const char *p = path, *colon;

	buf_clear(out);
	if (!name || !*name)
		return err_set(e, ERR_INVAL, "empty program name");
	if (strchr(name, '/')) {
		if (buf_adds(out, name) < 0)
			return err_sys(e, "program path");
		return 0;
	}
	while (*p) {
		colon = strchrnul(p, ':');
		buf_clear(out);
		if (buf_add(out, p, (size_t)(colon - p)) < 0 ||
		    buf_addch(out, '/') < 0 || buf_adds(out, name) < 0)
			return err_sys(e, "program path");
		if (colon > p && access(out->s, X_OK) == 0)
			return 0;
		p = *colon ? colon + 1 : colon;
	}
	buf_clear(out);
	return err_set(e, ERR_CHILD, "%s: not found in PATH", name);
}

/* A pipe whose ends are close-on-exec; the child's end is dup2()ed. */
static int open_pipe(int fds[2], int wanted, struct err *e)
{
	if (!wanted)
		return 0;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_sys(e, "pipe");
	return 0;
}

/* In the child: only async-signal-safe calls from here to execve. */
static void child_fd(int pipefd, int devnull, int target)
{
	int fd = pipefd >= 0 ? pipefd : devnull;

	if (fd == target) { /* dup2 would keep FD_CLOEXEC: clear it */
		if (fcntl(fd, F_SETFD, 0) < 0)
			_exit(126);
	} else if (fd >= 0 && dup2(fd, target) < 0) {
		_exit(126);
	}
}

static void __attribute__((noreturn))
run_child(const struct spawn *sp, const char *prog, struct pipes *p,
	  int devnull, const sigset_t *oldmask)
{
	static const char *const empty_env[] = { NULL };

	setpgid(0, 0);
	child_fd(p->in[0], devnull, STDIN_FILENO);
	child_fd(p->out[1], devnull, STDOUT_FILENO);
	child_fd(p->err[1], devnull, STDERR_FILENO);
	if (sp->cwd && chdir(sp->cwd) < 0) {
		int saved = errno;
		ssize_t w = write(p->exec[1], &saved, sizeof(saved));

		(void)w;
		_exit(126);
	}
	(void)signal(SIGPIPE, SIG_DFL); /* cannot fail: a valid signal */
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	execve(prog, (char *const *)sp->argv,
	       (char *const *)(sp->envp ? sp->envp : empty_env));
	{
		int saved = errno;
		ssize_t w = write(p->exec[1], &saved, sizeof(saved));

		(void)w;
	}
	_exit(127);
}

/* Reads what is there from *fd into b (or discards past the cap). */
static void drain(int *fd, struct buf *b, int *truncated)
{
	char chunk[16384];
	ssize_t n = read(*fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close_fd(fd);
		return;
	}
	if (!*truncated && buf_add(b, chunk, (size_t)n) < 0)
		*truncated = 1;
}

static void feed(int *fd, const char *in, size_t len, size_t *off)
{
	ssize_t n;

	if (*off >= len) {
		close_fd(fd);
		return;
	}
	n = write(*fd, in + *off, len - *off);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0) { /* EPIPE: the child does not read its stdin */
		close_fd(fd);
		return;
	}
	*off += (size_t)n;
	if (*off >= len)
		close_fd(fd);
}

/* Timeout handling: TERM to the group at the limit, KILL after the grace. */
static int next_wait(const struct spawn *sp, pid_t pid, long long start,
		     struct spawn_result *res)
{
	long long left, elapsed = clock_mono_ms() - start;

	if (sp->timeout_ms <= 0)
		return -1;
	if (!res->timed_out && elapsed >= sp->timeout_ms) {
		res->timed_out = 1;
		kill(-pid, SIGTERM);
	}
	if (res->timed_out && elapsed >= (long long)sp->timeout_ms + KILL_GRACE_MS) {
		kill(-pid, SIGKILL);
		return 100;
	}
	left = (res->timed_out ? sp->timeout_ms + KILL_GRACE_MS : sp->timeout_ms) -
	       elapsed;
	return left > 0 ? (int)left : 0;
}

/* Pumps stdin/stdout/stderr until both outputs are closed. */
static void pump(const struct spawn *sp, struct pipes *p, pid_t pid,
		 struct spawn_result *res)
{
	long long start = clock_mono_ms();
	size_t in_off = 0;

	while (p->out[0] >= 0 || p->err[0] >= 0 || p->in[1] >= 0) {
		struct pollfd fds[3] = {
			{ p->out[0], POLLIN, 0 },
			{ p->err[0], POLLIN, 0 },
			{ p->in[1], POLLOUT, 0 },
		};
		int n = poll(fds, 3, next_wait(sp, pid, start, res));

		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (fds[0].revents)
			drain(&p->out[0], sp->out, &res->out_truncated);
		if (fds[1].revents)
			drain(&p->err[0], sp->errout, &res->err_truncated);
		if (fds[2].revents)
			feed(&p->in[1], sp->in, sp->in_len, &in_off);
	}
	close_fd(&p->in[1]);
}

/* Waits for the child; the timeout still applies (a child may close its
 * outputs and keep running). */
static int reap(const struct spawn *sp, pid_t pid, struct spawn_result *res)
{
	long long start = clock_mono_ms();
	int wstatus;

	for (;;) {
		pid_t r = waitpid(pid, &wstatus, sp->timeout_ms > 0 ? WNOHANG : 0);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (r == 0) {
			next_wait(sp, pid, start, res);
			poll(NULL, 0, 10);
		}
	}
	res->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
					 : 128 + WTERMSIG(wstatus);
	return 0;
}

/* Blocks until the child has exec'd (EOF) or reported why it could not. */
static int read_exec_errno(int fd)
{
	int child_errno = 0;
	ssize_t n;

	do
		n = read(fd, &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(child_errno) ? child_errno : 0;
}

/* SIGPIPE is blocked while we write the child's stdin, then any pending
 * one is consumed, so a child that closes its stdin cannot kill us. */
static void sigpipe_settle(const sigset_t *oldmask)
{
	sigset_t pipe_set;
	struct timespec zero = { 0, 0 };

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
		;
	sigprocmask(SIG_SETMASK, oldmask, NULL);
}

static int spawn_fail(struct pipes *p, int devnull, const sigset_t *oldmask)
{
	pipes_close(p);
	if (devnull >= 0)
		close(devnull);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	return -1;
}

/* What a child that ran and was reaped comes to: 0, or -1 when it could
 * not exec, timed out or wrote more than its caps. */
static int run_outcome(const struct spawn *sp, const struct spawn_result *res,
		       int exec_errno, struct err *e)
{
	if (exec_errno)
		return err_set(e, ERR_CHILD, "cannot run %s: %s", sp->argv[0],
			       strerror(exec_errno));
	if (res->timed_out)
		return err_set(e, ERR_TIMEOUT, "%s: timed out after %d ms",
			       sp->argv[0], sp->timeout_ms);
	if (res->out_truncated || res->err_truncated)
		return err_set(e, ERR_TOOBIG, "%s: output larger than allowed",
			       sp->argv[0]);
	return 0;
}

/* The pipes of a child to be: stdin (when sp->in), stdout, stderr (when
 * captured) and the exec report.  0, or -1 e. */
static int open_pipes(const struct spawn *sp, struct pipes *p, struct err *e)
{
	if (open_pipe(p->in, sp->in != NULL, e) < 0 ||
	    open_pipe(p->out, sp->out != NULL, e) < 0 ||
	    open_pipe(p->err, sp->errout != NULL, e) < 0 ||
	    open_pipe(p->exec, 1, e) < 0)
		return -1;
	return 0;
}

int spawn_run(const struct spawn *sp, struct spawn_result *res,
	      struct err *e)
{
	struct pipes p = { { -1, -1 }, { -1, -1 }, { -1, -1 }, { -1, -1 } };
	int exec_errno = 0;
	struct buf prog = BUF_INIT(4096);
	sigset_t block, oldmask;
	int devnull = -1, rc = 0;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (!sp->argv || !sp->argv[0])
		return err_set(e, ERR_INVAL, "spawn: empty argv");
	if (spawn_which(sp->argv[0], env_path(sp->envp), &prog, e) < 0) {
		buf_release(&prog);
		return -1;
	}
	sigemptyset(&block);
	sigaddset(&block, SIGPIPE);
	sigprocmask(SIG_BLOCK, &block, &oldmask);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || open_pipes(sp, &p, e) < 0) {
		err_sys(e, "spawn %s", sp->argv[0]);
		buf_release(&prog);
		return spawn_fail(&p, devnull, &oldmask);
	}
	pid = fork();
	if (pid < 0) {
		err_sys(e, "fork for %s", sp->argv[0]);
		buf_release(&prog);
		return spawn_fail(&p, devnull, &oldmask);
	}
	if (pid == 0)
		run_child(sp, prog.s, &p, devnull, &oldmask);
	buf_release(&prog);
	setpgid(pid, pid); /* both sides set it: no race with an early kill */
	close(devnull);
	close_fd(&p.in[0]);
	close_fd(&p.out[1]);
	close_fd(&p.err[1]);
	close_fd(&p.exec[1]);
	exec_errno = read_exec_errno(p.exec[0]);
	if (exec_errno == 0)
		pump(sp, &p, pid, res);
	if (reap(sp, pid, res) < 0)
		rc = err_sys(e, "waitpid for %s", sp->argv[0]);
	pipes_close(&p);
	sigpipe_settle(&oldmask);
	return rc == 0 ? run_outcome(sp, res, exec_errno, e) : rc;
}

/* In the grandchild of spawn_detached(): async-signal-safe calls only. */
static void __attribute__((noreturn))
run_detached(const struct spawn *sp, const char *prog, int devnull,
	     int errfd, int exec_fd)
{
	static const char *const empty_env[] = { NULL };
	sigset_t none;
	int sig, saved;
	ssize_t w;

	child_fd(-1, devnull, STDIN_FILENO);
	child_fd(-1, devnull, STDOUT_FILENO);
	child_fd(-1, errfd >= 0 ? errfd : devnull, STDERR_FILENO);
	/* the FastCGI listening socket, accepted connections, ...: whatever
	 * the caller did not mark close-on-exec must not reach the child */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		int fd;

		for (fd = 3; fd < 1024; fd++)
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)signal(sig, SIG_DFL); /* EINVAL at worst: skip it */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (sp->cwd && chdir(sp->cwd) < 0)
		goto fail;
	execve(prog, (char *const *)sp->argv,
	       (char *const *)(sp->envp ? sp->envp : empty_env));
fail:
	saved = errno;
	w = write(exec_fd, &saved, sizeof(saved));
	(void)w;
	_exit(127);
}

/* The whitelists of spawn_env(), one table so that who gets what is read
 * in one place (the S3 credentials go to the deploy run only). */
static const char *const env_lists[][SPAWN_ENV_MAX] = {
	[SPAWN_ENV_SLURM] = { "PATH", "HOME", "USER", "LOGNAME", "LANG",
			      "LC_ALL", "TZ", "SLURM_CONF" },
	[SPAWN_ENV_CONSUMER] = { "PATH", "HOME", "USER", "LOGNAME", "LANG",
				 "LC_ALL", "TZ", "http_proxy", "https_proxy",
				 "HTTPS_PROXY", "no_proxy", "NO_PROXY",
				 "SLURM_CONF", "EESSI_BOT_ALLOW_ROOT" },
	[SPAWN_ENV_DEPLOY] = { "PATH", "HOME", "TZ", "SLURM_CONF",
			       "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
			       "AWS_SESSION_TOKEN", "AWS_PROFILE",
			       "EESSI_BOT_ALLOW_ROOT" },
};

size_t spawn_env(enum spawn_env_kind kind, const char **envp)
{
	size_t n = 0;

	if ((size_t)kind < sizeof(env_lists) / sizeof(env_lists[0]))
		for (size_t i = 0; i < SPAWN_ENV_MAX && env_lists[kind][i]; i++) {
			const char *name = env_lists[kind][i];
			size_t len = strlen(name);

			for (char **v = environ; v && *v; v++)
				if (strncmp(*v, name, len) == 0 && (*v)[len] == '=') {
					envp[n++] = *v;
					break;
				}
		}
	envp[n] = NULL;
	return n;
}

/* The middle process of spawn_detached(): a new session, the grandchild
 * forked (it runs the program), then gone, so that init reaps the
 * grandchild.  Async-signal-safe calls only. */
static void __attribute__((noreturn))
middle_process(const struct spawn *sp, const char *prog, int devnull,
	       int errfd, int exec_fd)
{
	pid_t grandchild;

	setsid();
	grandchild = fork();
	if (grandchild == 0)
		run_detached(sp, prog, devnull, errfd, exec_fd);
	if (grandchild < 0) {
		int saved = errno;
		ssize_t w = write(exec_fd, &saved, sizeof(saved));

		(void)w;
	}
	_exit(0);
}

/* The middle process reaped, and the grandchild's exec confirmed through
 * the pipe: 0, or -1 (ERR_CHILD: it could not run). */
static int detached_started(const struct spawn *sp, pid_t pid, int exec_fd,
			    struct err *e)
{
	int status, exec_errno;

	/* the middle process's status says nothing (a checker such as
	 * valgrind may change it): failures come through the pipe */
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return err_sys(e, "waitpid for %s", sp->argv[0]);
	exec_errno = read_exec_errno(exec_fd);
	if (exec_errno)
		return err_set(e, ERR_CHILD, "cannot run %s: %s", sp->argv[0],
			       strerror(exec_errno));
	return 0;
}

int spawn_detached(const struct spawn *sp, struct err *e)
{
	struct buf prog = BUF_INIT(4096);
	int pipefd[2] = { -1, -1 }, devnull = -1, errfd = -1, rc = -1;
	pid_t pid;

	if (!sp->argv || !sp->argv[0] || sp->in || sp->out || sp->errout ||
	    sp->timeout_ms)
		return err_set(e, ERR_INVAL, "spawn_detached: argv only");
	if (spawn_which(sp->argv[0], env_path(sp->envp), &prog, e) < 0)
		goto out;
	if (sp->err_path)
		errfd = open(sp->err_path, O_WRONLY | O_APPEND | O_CLOEXEC |
						   O_NOCTTY | O_NOFOLLOW);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || pipe2(pipefd, O_CLOEXEC) < 0) {
		err_sys(e, "spawn %s", sp->argv[0]);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		err_sys(e, "fork for %s", sp->argv[0]);
		goto out;
	}
	if (pid == 0)
		middle_process(sp, prog.s, devnull, errfd, pipefd[1]);
	close_fd(&pipefd[1]);
	rc = detached_started(sp, pid, pipefd[0], e);
out:
	close_fd(&pipefd[0]);
	close_fd(&pipefd[1]);
	if (devnull >= 0)
		close(devnull);
	if (errfd >= 0)
		close(errfd);
	buf_release(&prog);
	return rc;
}
