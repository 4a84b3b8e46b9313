#!/usr/bin/env bash
# 59-soak.sh - scripts/soak-retention at a small scale: 90 simulated days,
# 900 deliveries, 120 pull requests of 2 targets, real git.  The spool, the
# git cache, the job directories and the trash level off (the last week
# within 15 % of four weeks before), no open pull request loses a job
# directory or what it borrows from the cache, and the trash and spool hold
# only what the retention keys keep.
. "$(dirname "$0")/../lib/common.sh"

need git
[ -x "$BUILD/t/soak" ] || bail "no $BUILD/t/soak (make $BUILD/t/soak)"
SOAK_DIR=$T_TMP/soak BUILD=$BUILD "$TOP/scripts/soak-retention" 90 900 120 2 >"$T_TMP/soak.txt" 2>&1
rc=$?
sed 's/^/# /' "$T_TMP/soak.txt"
is "soak: exit 0 (nothing lost, everything levels off)" "$rc" 0
OUT=$(cat "$T_TMP/soak.txt")
like "soak: no open pull request lost anything" "$OUT" '^OK: 0 job directories of open pull requests lost'
for what in spool cache jobs trash; do
	like "soak: the $what levels off" "$OUT" "^levels off: $what bytes"
done
unlike "soak: nothing LOST" "$OUT" '^LOST'
# what is left is what the keys keep: 30 days of deliveries (10 a day:
# about 300, one in twenty of them failed), trash of the last 30 days
done_n=$(find "$T_TMP/soak/spool/done" -type f | wc -l)
failed_n=$(find "$T_TMP/soak/spool/failed" -type f ! -name '*.reason' | wc -l)
note "spool at the end: $done_n done, $failed_n failed"
check "soak: done/ holds about 30 days of deliveries" test "$done_n" -ge 270 -a "$done_n" -le 310
check "soak: failed/ holds about 30 days of failures" test "$failed_n" -ge 12 -a "$failed_n" -le 18
days=$(ls "$T_TMP/soak/jobs/trash_bin" | wc -l)
note "trash days at the end: $days"
check "soak: the trash keeps at most 31 days" test "$days" -le 31 -a "$days" -ge 25
journals=$(ls "$T_TMP/soak/spool/effects" | wc -l)
is "soak: a journal only for each failed entry kept" "$journals" "$failed_n"
done_testing
