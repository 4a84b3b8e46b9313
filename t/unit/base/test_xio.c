#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xio.h"
#include "unit.h"

static char dir[64];

static void setup(void)
{
	unit_mkdtemp(dir, sizeof(dir), "xio");
}

static void teardown(void)
{
	unit_rm_rf(dir);
}

static int entries(const char *d)
{
	DIR *dh = opendir(d);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(dh);
	while ((de = readdir(dh)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(dh);
	return n;
}

START_TEST(atomic_write_replaces_and_leaves_no_temp)
{
	struct buf path = BUF_INIT(256), got = BUF_INIT(1024);
	struct err e = ERR_INIT;
	struct stat st;

	buf_addf(&path, "%s/record", dir);
	ck_assert_int_eq(xio_write_atomic(path.s, "one", 3, 0600, &e), 0);
	ck_assert_int_eq(xio_write_atomic(path.s, "two!", 4, 0640, &e), 0);
	ck_assert_int_eq(xio_read_file(path.s, &got, 1, &e), 0);
	ck_assert_str_eq(got.s, "two!");
	ck_assert_int_eq(stat(path.s, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
	ck_assert_int_eq(entries(dir), 1);
	buf_release(&path);
	buf_release(&got);
}
END_TEST

START_TEST(create_refuses_existing)
{
	struct buf path = BUF_INIT(256), got = BUF_INIT(1024);
	struct err e = ERR_INIT;

	buf_addf(&path, "%s/delivery", dir);
	ck_assert_int_eq(xio_create_atomic(path.s, "first", 5, 0600, &e), 0);
	ck_assert_int_eq(xio_create_atomic(path.s, "second", 6, 0600, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "already exists"));
	/* told by its code, not by the wording (lib/flows/webhook.c: a duplicate
	 * delivery) */
	ck_assert_int_eq(e.code, ERR_EXISTS);
	err_clear(&e);
	ck_assert_int_eq(xio_read_file(path.s, &got, 1, &e), 0);
	ck_assert_str_eq(got.s, "first");
	ck_assert_int_eq(entries(dir), 1);
	buf_release(&path);
	buf_release(&got);
}
END_TEST

START_TEST(write_into_missing_dir_fails_cleanly)
{
	struct buf path = BUF_INIT(256);
	struct err e = ERR_INIT;

	buf_addf(&path, "%s/missing/x", dir);
	ck_assert_int_eq(xio_write_atomic(path.s, "x", 1, 0600, &e), -1);
	ck_assert_int_eq(e.code, ERR_SYS);
	ck_assert_int_eq(entries(dir), 0);
	buf_release(&path);
}
END_TEST

START_TEST(read_is_bounded)
{
	struct buf path = BUF_INIT(256), got = BUF_INIT(4);
	struct err e = ERR_INIT;

	buf_addf(&path, "%s/big", dir);
	ck_assert_int_eq(xio_write_atomic(path.s, "12345", 5, 0600, &e), 0);
	ck_assert_int_eq(xio_read_file(path.s, &got, 0, &e), -1);
	ck_assert_int_eq(e.code, ERR_TOOBIG);
	err_clear(&e);
	ck_assert_int_eq(xio_read_file(dir, &got, 0, &e), -1); /* a directory */
	ck_assert_int_eq(e.code, ERR_INVAL);
	buf_release(&path);
	buf_release(&got);
}
END_TEST

START_TEST(nofollow_refuses_symlink)
{
	struct buf path = BUF_INIT(256), link = BUF_INIT(256), got = BUF_INIT(64);
	struct err e = ERR_INIT;

	buf_addf(&path, "%s/target", dir);
	buf_addf(&link, "%s/link", dir);
	ck_assert_int_eq(xio_write_atomic(path.s, "t", 1, 0600, &e), 0);
	ck_assert_int_eq(symlink(path.s, link.s), 0);
	ck_assert_int_eq(xio_read_file(link.s, &got, 1, &e), -1);
	err_clear(&e);
	ck_assert_int_eq(xio_read_file(link.s, &got, 0, &e), 0);
	ck_assert_str_eq(got.s, "t");
	buf_release(&path);
	buf_release(&link);
	buf_release(&got);
}
END_TEST

START_TEST(mkdir_p_nested_and_conflicts)
{
	struct buf path = BUF_INIT(256), file = BUF_INIT(256);
	struct err e = ERR_INIT;
	struct stat st;

	buf_addf(&path, "%s/a/b//c/", dir);
	ck_assert_int_eq(xio_mkdir_p(path.s, 0750, &e), 0);
	ck_assert_int_eq(xio_mkdir_p(path.s, 0750, &e), 0); /* idempotent */
	ck_assert_int_eq(stat(path.s, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	buf_addf(&file, "%s/a/file", dir);
	ck_assert_int_eq(xio_write_atomic(file.s, "", 0, 0600, &e), 0);
	buf_adds(&file, "/sub");
	ck_assert_int_eq(xio_mkdir_p(file.s, 0750, &e), -1);
	buf_release(&path);
	buf_release(&file);
}
END_TEST

START_TEST(remove_tree_removes_but_never_follows)
{
	char top[256], keep[256], path[512];
	struct err e = ERR_INIT;
	struct stat st;
	FILE *f;

	unit_mkdtemp(top, sizeof(top), "rmtree");
	unit_mkdtemp(keep, sizeof(keep), "rmkeep");
	snprintf(path, sizeof(path), "%s/t/a/b", top);
	ck_assert_int_eq(xio_mkdir_p(path, 0755, &e), 0);
	snprintf(path, sizeof(path), "%s/t/a/b/file", top);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fclose(f);
	snprintf(path, sizeof(path), "%s/precious", keep);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fclose(f);
	/* a symlink to a directory outside: removed, its target kept */
	snprintf(path, sizeof(path), "%s/t/a/outside", top);
	ck_assert_int_eq(symlink(keep, path), 0);
	snprintf(path, sizeof(path), "%s/t", top);
	ck_assert_int_eq(xio_remove_tree(path, &e), 0);
	ck_assert_int_eq(lstat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/precious", keep);
	ck_assert_int_eq(stat(path, &st), 0);
	/* nothing there: fine */
	snprintf(path, sizeof(path), "%s/t", top);
	ck_assert_int_eq(xio_remove_tree(path, &e), 0);
	unit_rm_rf(top);
	unit_rm_rf(keep);
}
END_TEST

/* The one check for secret files (xio_private_ok() through
 * xio_check_private()): 0600 and 0400 pass; any permission for group or
 * others, a symlink, a directory or another owner is refused with the
 * file, its mode and what to do. */
START_TEST(private_check)
{
	static const mode_t bad[] = {0640, 0644, 0620, 0602, 0660, 0604, 0610,
				     0666};
	struct buf path = BUF_INIT(256), link = BUF_INIT(256), sub = BUF_INIT(256);
	struct err e = ERR_INIT;
	char want[64];
	size_t i;

	buf_addf(&path, "%s/key.pem", dir);
	buf_addf(&link, "%s/link.pem", dir);
	buf_addf(&sub, "%s/keydir", dir);
	ck_assert_int_eq(xio_write_atomic(path.s, "k", 1, 0600, &e), 0);
	ck_assert_int_eq(xio_check_private(path.s, "github.private_key", &e), 0);
	ck_assert_int_eq(chmod(path.s, 0400), 0);
	ck_assert_int_eq(xio_check_private(path.s, "github.private_key", &e), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(chmod(path.s, bad[i]), 0);
		err_clear(&e);
		ck_assert_int_eq(xio_check_private(path.s, "github.private_key",
						   &e), -1);
		snprintf(want, sizeof(want), "mode %04o lets group or others",
			 (unsigned)bad[i]);
		ck_assert_msg(strstr(e.msg, want), "%s", e.msg);
		ck_assert_msg(strstr(e.msg, "github.private_key"), "%s", e.msg);
		ck_assert_msg(strstr(e.msg, path.s), "%s", e.msg);
		ck_assert_msg(strstr(e.msg, "chmod 600"), "%s", e.msg);
	}
	ck_assert_int_eq(chmod(path.s, 0600), 0);

	/* a symlink, even to a good file, is not the file */
	ck_assert_int_eq(symlink(path.s, link.s), 0);
	err_clear(&e);
	ck_assert_int_eq(xio_check_private(link.s, "secret", &e), -1);
	ck_assert_msg(strstr(e.msg, "not a regular file (a symlink)"), "%s",
		      e.msg);
	ck_assert_int_eq(mkdir(sub.s, 0700), 0);
	err_clear(&e);
	ck_assert_int_eq(xio_check_private(sub.s, "secret", &e), -1);
	ck_assert_msg(strstr(e.msg, "not a regular file (a directory)"), "%s",
		      e.msg);

	/* missing: errno tells */
	err_clear(&e);
	buf_adds(&sub, "/none");
	ck_assert_int_eq(xio_check_private(sub.s, "secret", &e), -1);
	ck_assert_int_eq(errno, ENOENT);

	/* another account's file (only root can make one): refused to
	 * nobody; root itself takes any owner */
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(path.s, 1, 1), 0);
		ck_assert_int_eq(xio_check_private(path.s, "secret", &e), 0);
		ck_assert_int_eq(chmod(dir, 0755), 0);
		ck_assert_int_eq(seteuid(65534), 0);
		err_clear(&e);
		ck_assert_int_eq(xio_check_private(path.s, "secret", &e), -1);
		ck_assert_int_eq(seteuid(0), 0);
		ck_assert_msg(strstr(e.msg, "owned by uid 1, not by this account "
				      "(uid 65534) or root"), "%s", e.msg);
		ck_assert_int_eq(chown(path.s, 0, 0), 0);
		ck_assert_int_eq(seteuid(65534), 0);
		ck_assert_int_eq(xio_check_private(path.s, "secret", &e), 0);
		ck_assert_int_eq(seteuid(0), 0);
	}
	buf_release(&path);
	buf_release(&link);
	buf_release(&sub);
}
END_TEST

/* xio_lock: one holder at a time (flock is per open file, so a second
 * open in the same process stands for another process), released by
 * close, a symlink refused. */
START_TEST(lock_once_at_a_time)
{
	char top[256], path[300], link[300];
	struct err e = ERR_INIT;
	int fd1, fd2;

	unit_mkdtemp(top, sizeof(top), "lock");
	snprintf(path, sizeof(path), "%s/x.lock", top);
	snprintf(link, sizeof(link), "%s/l.lock", top);
	ck_assert_int_eq(xio_lock(path, &fd1, &e), 0);
	ck_assert_int_ge(fd1, 0);
	ck_assert_int_eq(xio_lock(path, &fd2, &e), 1);
	ck_assert_int_eq(fd2, -1);
	ck_assert_int_eq(e.code, ERR_NONE);
	close(fd1);
	ck_assert_int_eq(xio_lock(path, &fd2, &e), 0);
	close(fd2);
	ck_assert_int_eq(symlink(path, link), 0);
	ck_assert_int_eq(xio_lock(link, &fd2, &e), -1);
	ck_assert_int_eq(fd2, -1);
	ck_assert_int_eq(e.code, ERR_SYS);
	unit_rm_rf(top);
}
END_TEST

/* The disk guard's figures: the nearest existing parent of a path that
 * does not exist yet, its mount point above it. */
START_TEST(fs_free_of_a_path_and_its_parent)
{
	long long b1, i1, b2, i2;
	char m1[4096], m2[4096];
	struct buf p = BUF_INIT(4096);
	struct err e = ERR_INIT;

	ck_assert_int_eq(xio_fs_free(dir, &b1, &i1, m1, sizeof(m1), &e), 0);
	ck_assert(b1 > 0);
	ck_assert(i1 != 0);
	ck_assert_int_eq(m1[0], '/');
	ck_assert(strncmp(dir, m1, strlen(m1)) == 0); /* the mount is above */
	ck_assert_int_eq(buf_addf(&p, "%s/not/yet/there", dir), 0);
	ck_assert_int_eq(xio_fs_free(p.s, &b2, &i2, m2, sizeof(m2), &e), 0);
	ck_assert_str_eq(m1, m2);
	ck_assert(b2 > 0);
	ck_assert_int_eq(xio_fs_free("relative/path", &b2, &i2, m2, sizeof(m2), &e), -1);
	ck_assert_int_eq(e.code, ERR_INVAL);
	ck_assert_int_eq(xio_fs_free("/", &b2, &i2, m2, sizeof(m2), &e), 0);
	ck_assert_str_eq(m2, "/");
	buf_release(&p);
}
END_TEST

Suite *xio_suite(void)
{
	Suite *s = suite_create("xio");
	TCase *tc = tcase_create("xio");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, atomic_write_replaces_and_leaves_no_temp);
	tcase_add_test(tc, create_refuses_existing);
	tcase_add_test(tc, write_into_missing_dir_fails_cleanly);
	tcase_add_test(tc, read_is_bounded);
	tcase_add_test(tc, nofollow_refuses_symlink);
	tcase_add_test(tc, private_check);
	tcase_add_test(tc, mkdir_p_nested_and_conflicts);
	tcase_add_test(tc, remove_tree_removes_but_never_follows);
	tcase_add_test(tc, lock_once_at_a_time);
	tcase_add_test(tc, fs_free_of_a_path_and_its_parent);
	suite_add_tcase(s, tc);
	return s;
}
