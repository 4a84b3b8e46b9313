/* t/san/options.c - where the sanitizers of a SAN=1 build report, when it
 * runs under the end-to-end tests.
 *
 * Linked into the programs and test tools of a sanitizer build only (not
 * into the unit tests, whose reports belong on their stderr).  The
 * handler runs under nginx, Apache or spawn-fcgi, the manager under the
 * tests' own cron loop, and both start children with a cleaned
 * environment: ASAN_OPTIONS would not reach them all, and their stderr
 * goes to server logs nobody reads.  So each report goes to a file
 * SAN_LOG_DIR/{asan,ubsan}.PID, which t/run-e2e creates (mode 1777, as the
 * handler may run as another user) and reads after each script: a report
 * is a failure of that script.
 */
#ifndef SAN_LOG_DIR
#error "SAN_LOG_DIR: the directory for the reports (see the Makefile)"
#endif

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
	return "log_path=" SAN_LOG_DIR "/asan:abort_on_error=0:"
	       "detect_leaks=1:strict_string_checks=1:"
	       "detect_stack_use_after_return=1:check_initialization_order=1";
}

const char *__ubsan_default_options(void)
{
	return "log_path=" SAN_LOG_DIR "/ubsan:print_stacktrace=1:"
	       "halt_on_error=1";
}
