#!/usr/bin/env python3
"""bench-manager-data.py - synthetic jobs for scripts/bench-manager.

  bench-manager-data.py seed N REPO BOT_LOGIN
      prints the GitHub stand-in's seed (POST /_admin/seed, added to what
      it holds) for N jobs: pull requests 101, 102, ... (seeded again if
      there) and a new status comment (by BOT_LOGIN) on each, one per 16
      jobs.

  bench-manager-data.py make DIR N REPO INSTANCE CID1,CID2,...
      writes, for N jobs grouped 16 per status comment (the comment ids
      given, in order, one pull request per comment, numbers 101, 102, ...):
        DIR/ids/submitted/<ID>           the job records, as lib/core/jobrec.c
                                         renders them at submission
        DIR/ids/comments/<CID>.json      the status comments' documents
                                         (lib/state/cdoc.h), every row "held"
        DIR/jobs/.../<target dir>/       the job directories: slurm-<ID>.out
                                         (BENCH_OUTPUT_LINES lines, default
                                         200), _bot_job<ID>.result for 7 of 8
                                         jobs (SUCCESS, every 4th FAILURE)
        DIR/slurm/squeue-a.txt           held: PENDING JobHeldUser
        DIR/slurm/squeue-b.txt           released: PENDING None
        DIR/slurm/squeue-c.txt           finished: COMPLETED, without 1 in 8
                                         of the jobs (gone from squeue: only
                                         sacct knows them)
        DIR/slurm/sacct.txt              COMPLETED 0:0 for every job
      Every squeue file also has lines of jobs that are not the bot's (a
      quarter as many, at least 3, one array and one heterogeneous job
      among them), and the lines are shuffled (fixed seed), as squeue sorts
      by priority, not by id.  Prints "jobs N comments K sacct_only S".

Job ids are 4000001.. (the bot's) and 9000001.. (others').  Times: now.
Standard library only.
"""

import json
import os
import random
import sys
import time
import uuid

PER_COMMENT = 16
FIRST_ID = 4000001
OTHERS_ID = 9000001
SHA = ("1" * 40, "2" * 40, "3" * 40)  # head, base, merge


def slurm_time(t):
    """squeue/sacct time: local time, no zone."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(t))


def target(i):
    """Target of row i of a comment: linux/x86_64/bench/tNN."""
    name = f"linux/x86_64/bench/t{i % PER_COMMENT + 1:02d}"
    return name, name.replace("/", "_")


def record(job_id, repo, pr, cid, instance, delivery, tname, key, job_dir, t0):
    """The text lib/core/jobrec.c's jobrec_render() makes (ini_put: "key = value",
    a blank line between sections, an empty value as "key = ")."""
    sections = [
        ("PR", [("repo", repo), ("pr_number", pr), ("pr_comment_id", cid)]),
        ("JOB", [("id", job_id), ("instance", instance), ("delivery", delivery),
                 ("target", tname), ("repo_id", ""), ("accelerator", ""),
                 ("target_key", key), ("job_dir", job_dir), ("head_sha", SHA[0]),
                 ("base_ref", "main"), ("base_sha", SHA[1]), ("merge_sha", SHA[2]),
                 ("requested_by", "alice"), ("submitted_at", t0)]),
        ("STATE", [("state", "held"), ("changed_at", t0)]),
    ]
    return "\n".join(f"[{name}]\n" + "".join(f"{k} = {v}\n" for k, v in keys)
                     for name, keys in sections)


def output(job_id, kind, lines):
    """slurm-<ID>.out: EasyBuild-like chatter ending as the kind says."""
    out = [f">> running bot/build.sh for job {job_id}"]
    for i in range(max(0, lines - 6)):
        out.append(f"== {time.strftime('%Y-%m-%d %H:%M:%S')} build step {i}: "
                   f"compiling module_{i % 97}.c with -O2 -march=native ... ok")
    if kind == "FAILURE":
        out += ["ERROR: Build of /tmp/easybuild/Foo-1.0.eb failed (compilation error)",
                "== FAILED: Installation ended unsuccessfully",
                "1 out of 5 required modules missing:", "* Foo/1.0-GCC-12.3.0"]
    else:
        out += ["No missing installations, party time!",
                f"eessi-2023.06-software-linux-x86_64-bench-{job_id}.tar.gz created!",
                "== COMPLETED: Installation ended successfully", "done"]
    return "\n".join(out) + "\n"


def seed(n, repo, bot):
    k = (n + PER_COMMENT - 1) // PER_COMMENT
    pulls = [{"repo": repo, "number": 101 + j, "user": "alice",
              "head": {"ref": f"pr-{101 + j}", "sha": SHA[0]},
              "base": {"ref": "main", "sha": SHA[1]}} for j in range(k)]
    comments = [{"repo": repo, "issue": 101 + j, "user": bot,
                 "body": "status table (bench-manager)"} for j in range(k)]
    json.dump({"users": ["alice"], "pulls": pulls, "comments": comments},
              sys.stdout)
    print()


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def make(d, n, repo, instance, cids):
    lines = int(os.environ.get("BENCH_OUTPUT_LINES", "200"))
    k = (n + PER_COMMENT - 1) // PER_COMMENT
    if len(cids) != k:
        sys.exit(f"bench-manager-data: {n} jobs need {k} comment ids, got {len(cids)}")
    now = int(time.time())
    t0, start, end = now - 120, now - 100, now - 10
    rnd = random.Random(n)
    sq = {"a": [], "b": [], "c": []}
    sacct, sacct_only = [], 0
    for j, cid in enumerate(cids):
        pr = 101 + j
        delivery = str(uuid.UUID(int=rnd.getrandbits(128)))
        doc = {"version": 1, "comment_id": cid, "repo": repo, "pr_number": pr,
               "instance": instance, "delivery": delivery, "requested_by": "alice",
               "head_sha": SHA[0], "base_ref": "main", "base_sha": SHA[1], "rows": []}
        run = f"{d}/jobs/2024.01/pr_{pr}/event_{delivery}/run_001"
        for r in range(min(PER_COMMENT, n - j * PER_COMMENT)):
            i = j * PER_COMMENT + r
            job_id = FIRST_ID + i
            tname, key = target(r)
            job_dir = f"{run}/{key}"
            write(f"{d}/ids/submitted/{job_id}",
                  record(job_id, repo, pr, cid, instance, delivery, tname, key, job_dir, t0))
            doc["rows"].append({"target": tname, "key": key, "job_id": job_id,
                                "state": "held", "reason": "", "result": "", "slurm": "",
                                "note": None, "excerpt": None, "changed_at": t0,
                                "missing_since": 0})
            kind = "FAILURE" if i % 4 == 1 else "SUCCESS"
            write(f"{job_dir}/slurm-{job_id}.out", output(job_id, kind, lines))
            if i % 8 != 7:  # 1 in 8 left no result file: its output is analysed
                write(f"{job_dir}/_bot_job{job_id}.result",
                      "[RESULT]\n"
                      f"comment_description = bench job {job_id}: {kind.lower()}\n"
                      f"status = {kind}\n"
                      + (f"artefacts = eessi-2023.06-software-linux-x86_64-bench-{job_id}"
                         ".tar.gz\n" if kind == "SUCCESS" else ""))
            sq["a"].append(f"{job_id}|PENDING|JobHeldUser|N/A|N/A")
            sq["b"].append(f"{job_id}|PENDING|None|N/A|N/A")
            if i % 8 == 3:  # gone from squeue (MinJobAge passed): sacct only
                sacct_only += 1
            else:
                sq["c"].append(f"{job_id}|COMPLETED|None|{slurm_time(start)}|{slurm_time(end)}")
            sacct.append(f"{job_id}|COMPLETED|0:0|{slurm_time(start)}|{slurm_time(end)}")
        write(f"{d}/ids/comments/{cid}.json", json.dumps(doc, indent=1) + "\n")
    others = [f"{OTHERS_ID + i}|{st}|{why}|N/A|N/A" for i, (st, why) in
              enumerate([("PENDING", "Priority"), ("PENDING", "Resources"),
                         ("RUNNING", "None")] * max(1, n // 12))]
    others += [f"{OTHERS_ID - 1}_[1-4]|PENDING|Priority|N/A|N/A",
               f"{OTHERS_ID - 2}+0|RUNNING|None|{slurm_time(start)}|NONE"]
    for s, jobs in sq.items():
        all_lines = jobs + others
        rnd.shuffle(all_lines)
        write(f"{d}/slurm/squeue-{s}.txt", "\n".join(all_lines) + "\n")
    write(f"{d}/slurm/sacct.txt", "\n".join(sacct) + "\n")
    print(f"jobs {n} comments {k} sacct_only {sacct_only}")


def main():
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "seed":
        seed(int(a[1]), a[2], a[3])
    elif len(a) == 6 and a[0] == "make":
        make(a[1], int(a[2]), a[3], a[4], [int(x) for x in a[5].split(",") if x])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
