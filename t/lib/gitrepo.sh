# t/lib/gitrepo.sh - a local bare repository playing the GitHub remote of a
# software-layer repository.  Source it after t/lib/common.sh.
#
#   gitrepo_make NAME [PR]       $T_TMP/git/NAME.git: branch main (README.md,
#       easystacks/, bot/build.sh and bot/check-build.sh stubs that only echo;
#       tests replace them), a PR (default 7) adding a file while main moved on,
#       refs/pull/PR/head and refs/pull/PR/merge (a real merge commit, parents
#       main and the PR head, as GitHub makes it).  Exports
#         GITREPO          the bare repository (use it as the clone URL)
#         GITREPO_WORK     a working clone (to add commits in later tests)
#         GITREPO_MAIN_SHA GITREPO_PR GITREPO_PR_BRANCH GITREPO_PR_HEAD_SHA
#         GITREPO_PR_MERGE_SHA
#   gitrepo_add_conflicting_pr NAME PR   a PR whose head changes the line of
#       README.md that main changed too: refs/pull/PR/head only (GitHub makes
#       no merge ref for a conflicting PR); main moves, so the merge refs of the
#       other PRs are made again.  Exports GITREPO_CONFLICT_PR,
#       GITREPO_CONFLICT_HEAD_SHA, GITREPO_MAIN_SHA, GITREPO_PR_MERGE_SHA.
#   gitrepo_chown NAME USER      the bare repository owned by USER (a non-root
#       bot cannot fetch from a root-owned one: "dubious ownership").
#   gitrepo_seed_json NAME OWNER/REPO [USER]  prints a stand-in seed
#       (t/lib/github.sh) for the repository and its PRs.
#
# Commits have fixed authors and dates, so their SHAs are the same every run.

# The interpreter itself rather than pyenv's shim, which costs ~0.4 s a call.
: "${T_PYTHON:=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null || echo python3)}"
export T_PYTHON

# _git WORKDIR ARGS...: git with a fixed identity, never the machine's config.
_git() {
	local dir=$1
	shift
	GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 \
		GIT_AUTHOR_NAME='EESSI test' GIT_AUTHOR_EMAIL='test@eessi.invalid' \
		GIT_COMMITTER_NAME='EESSI test' GIT_COMMITTER_EMAIL='test@eessi.invalid' \
		GIT_AUTHOR_DATE="${_gitrepo_date:-2024-01-01T00:00:00Z}" \
		GIT_COMMITTER_DATE="${_gitrepo_date:-2024-01-01T00:00:00Z}" \
		git -C "$dir" "$@"
}

# _gitrepo_commit WORKDIR DATE MESSAGE: commits everything staged or not.
_gitrepo_commit() {
	_gitrepo_date=$2 _git "$1" add -A &&
		_gitrepo_date=$2 _git "$1" commit -q -m "$3"
}

gitrepo_make() {
	local name=$1 pr=${2:-7} base=$T_TMP/git
	local bare=$base/$name.git work=$base/$name.work
	need git
	mkdir -p "$base" || return 1
	_git "$base" init -q --bare -b main "$bare" &&
		_git "$base" init -q -b main "$work" || return 1

	mkdir -p "$work/bot" "$work/easystacks"
	printf '# %s\n\nsoftware-layer test repository\nstatus: base\n' "$name" >"$work/README.md"
	printf 'easyconfigs:\n  - zlib-1.2.13-GCCcore-12.3.0.eb\n' \
		>"$work/easystacks/eessi-2023.06-eb-4.9.0-2023a.yml"
	printf '#!/bin/bash\necho "bot/build.sh stub: $*"\n' >"$work/bot/build.sh"
	printf '#!/bin/bash\necho "bot/check-build.sh stub: $*"\n' >"$work/bot/check-build.sh"
	chmod 0755 "$work/bot/build.sh" "$work/bot/check-build.sh"
	_gitrepo_commit "$work" 2024-01-01T00:00:00Z "Initial software layer" || return 1

	# the PR branch starts here and adds a file ...
	_git "$work" branch -q "pr-$pr" || return 1
	# ... while main moves on, so the merge is a real one
	printf 'main-only change\n' >"$work/main-only.txt"
	_gitrepo_commit "$work" 2024-01-02T00:00:00Z "Change on main after the PR branched" || return 1

	_git "$work" checkout -q "pr-$pr" &&
		printf 'easyconfigs:\n  - GROMACS-2024.1-foss-2023b.eb\n' \
			>"$work/easystacks/eessi-2023.06-eb-4.9.1-2023b.yml" &&
		_gitrepo_commit "$work" 2024-01-03T00:00:00Z "Add GROMACS" || return 1
	GITREPO_PR_HEAD_SHA=$(_git "$work" rev-parse HEAD)

	GITREPO_MAIN_SHA=$(_git "$work" rev-parse main)
	_git "$work" push -q "$bare" main "$GITREPO_PR_HEAD_SHA:refs/pull/$pr/head" || return 1
	GITREPO_PR=$pr
	_gitrepo_merge_refs "$work" "$bare" || return 1

	GITREPO=$bare
	GITREPO_WORK=$work
	GITREPO_PR_BRANCH=pr-$pr
	export GITREPO GITREPO_WORK GITREPO_MAIN_SHA GITREPO_PR GITREPO_PR_BRANCH \
		GITREPO_PR_HEAD_SHA GITREPO_PR_MERGE_SHA
}

gitrepo_add_conflicting_pr() {
	local name=$1 pr=$2 base=$T_TMP/git
	local bare=$base/$name.git work=$base/$name.work first
	first=$(_git "$work" rev-list --max-parents=0 main) || return 1
	_git "$work" checkout -q -b "pr-$pr" "$first" || return 1
	sed -i 's/^status: base$/status: changed by the PR/' "$work/README.md"
	_gitrepo_commit "$work" 2024-01-05T00:00:00Z "Change the status line" || return 1
	GITREPO_CONFLICT_HEAD_SHA=$(_git "$work" rev-parse HEAD)
	_git "$work" checkout -q main || return 1

	# main changes the same line
	sed -i 's/^status: base$/status: changed on main/' "$work/README.md"
	_gitrepo_commit "$work" 2024-01-06T00:00:00Z "Change the status line on main" || return 1
	GITREPO_MAIN_SHA=$(_git "$work" rev-parse main)

	_git "$work" push -q "$bare" main "$GITREPO_CONFLICT_HEAD_SHA:refs/pull/$pr/head" || return 1
	_gitrepo_merge_refs "$work" "$bare" || return 1
	GITREPO_CONFLICT_PR=$pr
	export GITREPO_MAIN_SHA GITREPO_PR_MERGE_SHA GITREPO_CONFLICT_PR GITREPO_CONFLICT_HEAD_SHA
}

# _gitrepo_merge_refs WORK BARE: what GitHub does when main or a PR moves:
# refs/pull/N/merge becomes the merge of refs/pull/N/head into main (parents:
# main, PR head), or disappears when they conflict.
_gitrepo_merge_refs() {
	local work=$1 bare=$2 ref head n
	_git "$work" fetch -q "$bare" '+refs/pull/*:refs/pull/*' || return 1
	for ref in $(_git "$work" for-each-ref --format='%(refname)' 'refs/pull/*/head'); do
		n=${ref#refs/pull/}
		n=${n%/head}
		head=$(_git "$work" rev-parse "$ref")
		_git "$work" checkout -q --detach main || return 1
		if _gitrepo_date=2024-02-01T00:00:00Z _git "$work" merge -q --no-ff \
			-m "Merge $head into main" "$head" >/dev/null 2>&1; then
			_git "$work" push -q -f "$bare" "HEAD:refs/pull/$n/merge" || return 1
			[ "$n" = "${GITREPO_PR:-}" ] && GITREPO_PR_MERGE_SHA=$(_git "$work" rev-parse HEAD)
		else
			_git "$work" merge --abort >/dev/null 2>&1
			_git "$work" push -q "$bare" ":refs/pull/$n/merge" 2>/dev/null
		fi
	done
	_git "$work" checkout -q main
}

# gitrepo_chown NAME USER: hands the bare repository to USER.  git refuses to
# fetch from a repository owned by someone else ("detected dubious
# ownership"), so a bot running as USER needs this (or safe.directory).
gitrepo_chown() {
	chown -R "$2" "$T_TMP/git/$1.git"
}

gitrepo_seed_json() {
	local name=$1 full=$2 user=${3:-contributor} bare=$T_TMP/git/$1.git
	"$T_PYTHON" - "$bare" "$full" "$user" <<'PY'
import json, subprocess, sys
bare, full, user = sys.argv[1:4]
def git(*a):
    return subprocess.run(["git", "--git-dir", bare, *a], check=True,
                          capture_output=True, text=True).stdout.strip()
main = git("rev-parse", "refs/heads/main")
pulls = []
for line in git("for-each-ref", "--format=%(refname) %(objectname)", "refs/pull/").splitlines():
    ref, sha = line.split()
    _, _, n, kind = ref.split("/")
    if kind != "head":
        continue
    try:
        merge = git("rev-parse", "--verify", "-q", f"refs/pull/{n}/merge")
    except subprocess.CalledProcessError:
        merge = None
    pulls.append({"repo": full, "number": int(n), "user": user, "title": f"PR {n}",
                  "head": {"ref": f"pr-{n}", "sha": sha, "repo": f"{user}/{full.split('/')[1]}"},
                  "base": {"ref": "main", "sha": main},
                  "merge_commit_sha": merge, "mergeable": merge is not None})
print(json.dumps({"repos": [{"full_name": full, "clone_url": bare}], "users": [user],
                  "pulls": pulls}, indent=1))
PY
}
