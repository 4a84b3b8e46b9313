#!/bin/bash
# bot/build.sh of the software layer that t/e2e/55-manager.sh builds: what
# it does is chosen per target by bot/e2e-plan, lines of
#   SOFTWARE_SUBDIR REPO_ID MODE SECONDS
# ('*' as REPO_ID matches any), MODE one of
#   success        EasyBuild-like lines, "No missing installations", a
#                  tarball "... created!"; bot/check-build.sh writes a
#                  SUCCESS result
#   fail-result    an "ERROR: " line among others, exit 1;
#                  bot/check-build.sh writes a FAILURE result
#   fail-noresult  the same, but no result file is left (bot/test.sh
#                  removes the job script's default): the manager has to
#                  judge the job output
#   sleep          sleeps SECONDS and nothing else (to be timed out or
#                  cancelled)
# The job runs in its job directory, cfg/job.cfg beside.
set -u
cfg_get() { # cfg_get KEY: the first value of KEY in cfg/job.cfg
	awk -v k="$1" '{ i = index($0, "="); if (!i) next
		key = substr($0, 1, i - 1); gsub(/[ \t]/, "", key)
		if (key == k) { v = substr($0, i + 1); gsub(/^[ \t]+|[ \t]+$/, "", v); print v; exit } }' cfg/job.cfg
}
subdir=$(cfg_get software_subdir)
repo=$(cfg_get repo_id)
version=$(cfg_get repo_version)
os=$(cfg_get os_type)
read -r mode secs <<<"$(awk -v s="$subdir" -v r="$repo" \
	'$1 == s && ($2 == r || $2 == "*") { print $3, $4; exit }' bot/e2e-plan)"
: "${mode:=success}" "${secs:=1}"
eb() { printf '== %s %s\n' "$(date -u '+%F %T,000')" "$*"; }

echo "e2e build.sh: target $subdir, repository $repo: $mode for ${secs}s"
eb "build_log.py:267 INFO This is EasyBuild 4.9.1 (framework: 4.9.1, easyblocks: 4.9.1)"
eb "temporary log file in case of crash ${TMPDIR:-/tmp}/eb-e2e/easybuild-e2e.log"
case $mode in
success)
	eb "processing EasyBuild easyconfig easystacks/zlib-1.2.13-GCCcore-12.3.0.eb"
	sleep "$secs"
	eb "building and installing zlib/1.2.13-GCCcore-12.3.0..."
	eb "COMPLETED: Installation ended successfully (took 3 secs)"
	echo "No missing installations, party time!"
	tarball=eessi-${version:-2023.06}-software-${os:-linux}-${subdir//\//-}-1704067200.tar.gz
	tar czf "$tarball" bot/e2e-plan
	echo "$PWD/$tarball created!"
	;;
fail-result | fail-noresult)
	eb "processing EasyBuild easyconfig easystacks/GROMACS-2024.1-foss-2023b.eb"
	sleep "$secs"
	eb "configuring GROMACS/2024.1-foss-2023b..."
	echo "ERROR: Installation of GROMACS-2024.1-foss-2023b.eb failed: 'cmake' exited 2"
	eb "Results of the build can be found in the log file(s) ${TMPDIR:-/tmp}/eb-e2e/easybuild-GROMACS.log"
	echo "1 out of 2 required modules missing:"
	echo "* GROMACS/2024.1-foss-2023b (GROMACS-2024.1-foss-2023b.eb)"
	exit 1
	;;
sleep)
	eb "processing EasyBuild easyconfig easystacks/LAMMPS-2Aug2023-foss-2023a.eb (slow)"
	sleep "$secs"
	eb "COMPLETED: Installation ended successfully"
	;;
esac
exit 0
