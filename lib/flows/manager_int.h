/* manager_int.h - what one manager iteration holds, shared by the files
 * of the manager (manager.c: reading, deciding, reporting;
 * manager_records.c: moving records and sweeping what dead writers left).
 * Private to lib/flows/manager*.c: nothing else includes it.
 */
#ifndef EESSI_MANAGER_INT_H
#define EESSI_MANAGER_INT_H

#include <stddef.h>

#include "buf.h"
#include "cdoc.h"
#include "err.h"
#include "manager_decide.h"
#include "mindex.h"
#include "slurmq.h"

struct conf;
struct github;
struct manager_opts;
struct manager_stats;

struct comment {
	long long id;
	struct cdoc doc;
	int loaded;      /* doc holds something (from disk or made) */
	int changed;     /* a row shows differently: edit */
	int dirty;       /* save (missing_since, a made document) */
	int saved;       /* edit (or no edit needed) and save went through */
};

struct job {
	long long id;
	size_t ci;       /* its comment */
	size_t ri;       /* its row in the comment's document */
	char *dir;       /* job directory */
	const struct slurmq_job *sj;
	struct manager_step step;
	int move;        /* over: move the record once the row is saved */
	int staged;      /* its record written to finished/ID.tmp.PID */
	int skip;        /* no decision this iteration */
};

struct iter {
	const struct conf *c;
	const struct manager_opts *o;
	struct manager_stats *st;
	struct github *gh;
	int own_gh;
	long long now;
	struct comment *cm;
	size_t ncm, capcm;
	struct job *jobs;
	size_t njobs, capjobs;
	struct mindex ix; /* <job_ids_dir>/manager.index */
	int finished_dir; /* finished/ exists */
	int listed;      /* submitted/ was read: the index may be saved */
	int polled;      /* squeue was asked (there are jobs to follow) */
	struct slurmq_job *sq; /* its answer, sorted by id */
	size_t nsq;
	struct buf path;
	struct buf text;
	int failed;      /* something failed: the iteration returns -1 */
	struct err first; /* the first failure, for the caller */
};

/* Logs msg as an error and keeps the first for manager_iterate()'s
 * caller; the iteration then returns -1. */
void manager_fail(struct iter *it, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* it->path set to the formatted text: 0, or -1 (too long). */
int manager_path(struct iter *it, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The row of job j in its comment's document. */
struct cdoc_row *manager_row_of(struct iter *it, const struct job *j);

/* ---- manager_records.c ---- */

/* Moves submitted/NAME to broken/NAME with a NAME.reason beside it. */
void manager_set_aside(struct iter *it, const char *name, const char *why);

/* 1 if name (in the directory dfd) is a writer's temporary file
 * (NAME.tmp.XXXXXX), removed when its writer is dead; 0 otherwise. */
int manager_temp_file(struct iter *it, int dfd, const char *name);

/* The temporary files of writers that died, beside the index, in
 * comments/ and finished/. */
void manager_sweep_temps(struct iter *it);

/* The records of the jobs that are over (their rows saved) to finished/
 * with their final [STATE]. */
void manager_move_records(struct iter *it);

/* The moves made durable: both directories synced once. */
void manager_moves_done(struct iter *it);

#endif
