#!/bin/bash
# SPDX-License-Identifier: MIT
# Mutation testing: plant one-line bugs in src/ and tools/tcectl/, one at a
# time, and check that the quick test suite catches each.
#
#   scripts/mutate.sh [--count N] [--seed S] [--budget SECONDS] [--build DIR]
#                     [--timeout SECONDS] [--gate] [--survivors FILE] [--rerun FILE]
#                     [--only FILE...]
#
# --count N      mutants to run, spread over every source file (default 150)
# --seed S       which ones (default: the current commit); the same seed picks the same mutants
# --budget SECS  stop starting new mutants after this many seconds (CI's sample)
# --build DIR    the build directory to mutate in (default build-mutate; set up if missing)
# --timeout SECS a test run longer than this kills the mutant (default 300)
# --gate         exit 1 when a mutant survives that scripts/mutants-accepted.txt does not list
# --survivors F  write the survivors to F (mutants.py's format), to --rerun after adding tests
# --rerun F      run the mutants listed in F instead of picking (one whose line is no longer
#                in the code is "gone", not counted)
# --only FILE... mutate only these files
#
# Each mutant is applied to the file in place, built with ASan and UBSan (a
# mutant that does not compile is "stillborn" and not counted), tested with `meson test --setup quick
# --maxfail 1` under a timeout (a hang counts as caught), and the file restored,
# also on Ctrl-C. Prints one line per mutant and a summary with the kill rate:
# killed / (killed + survived), the accepted equivalent mutants left out.
set -u
cd "$(dirname "$0")/.."
count=150
seed=$(git rev-parse HEAD 2>/dev/null || echo 0)
budget=0
build=build-mutate
timeout=300
gate=0
survivors=""
rerun=""
only=()
while [ $# -gt 0 ]; do
	case $1 in
	--count) count=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--budget) budget=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--gate) gate=1; shift ;;
	--survivors) survivors=$2; shift 2 ;;
	--rerun) rerun=$2; shift 2 ;;
	--only) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do only+=("$1"); shift; done ;;
	-h|--help) sed -n '3,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "mutate.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done
case $count$budget$timeout in *[!0-9]*) echo "mutate.sh: --count, --budget and --timeout take whole numbers" >&2; exit 2 ;; esac

accepted=scripts/mutants-accepted.txt
files=("${only[@]}")
[ ${#files[@]} -eq 0 ] && files=(src/*.c src/*.h tools/tcectl/*.c)

if [ ! -f "$build/build.ninja" ]; then
	# ASan and UBSan as CI's sanitizer job has them: a mutant that reads out of bounds is caught
	# the way CI would catch that bug.
	meson setup "$build" -Dtests=enabled -Dtools=enabled -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fno-sanitize-recover=all >/dev/null ||
		{ echo "mutate.sh: meson setup failed" >&2; exit 3; }
fi
ninja -C "$build" >/dev/null 2>&1 || { echo "mutate.sh: the unmutated tree does not build in $build" >&2; exit 3; }
if ! meson test -C "$build" --no-rebuild --setup quick --num-processes 2 >/dev/null 2>&1; then
	echo "mutate.sh: the quick suite fails without any mutant; fix that first ($build/meson-logs)" >&2
	exit 3
fi

list=$(mktemp)
current=""
backup=$(mktemp)
restore() {
	if [ -n "$current" ]; then
		cp "$backup" "$current"
		touch "$current"
		current=""
	fi
}
trap 'restore; rm -f "$list" "$backup"; exit 130' INT TERM
if [ -n "$rerun" ]; then
	cp "$rerun" "$list" || exit 2
else
	python3 scripts/mutants.py pick "$count" "$seed" "${files[@]}" >"$list"
fi
[ -n "$survivors" ] && : >"$survivors"

# accepted_reason FILE ORIGINAL MUTATED (as mutants.py prints them): the reason the accepted list
# gives for this mutant, or nothing. The list matches lines without their indentation.
accepted_reason() {
	[ -f "$accepted" ] || return 0
	python3 - "$accepted" "$1" "$2" "$3" <<'PY'
import sys
unescape = lambda s: s.replace("\\t", "\t").replace("\\\\", "\\")
path, file, orig, mut = sys.argv[1], sys.argv[2], unescape(sys.argv[3]).strip(), unescape(sys.argv[4]).strip()
for line in open(path, encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    parts = line.rstrip("\n").split("\t", 3)
    if len(parts) == 4 and parts[0].strip() == file and parts[1].strip() == orig and parts[2].strip() == mut:
        print(parts[3].strip())
        break
PY
}

killed=0 survived=0 equivalent=0 stillborn=0 unlisted=0 gone=0 n=0
start=$(date +%s)
echo "mutate.sh: seed $seed, $(wc -l <"$list") mutants over ${#files[@]} files, build $build"
while IFS=$'\t' read -r id file line kind orig mut; do
	if [ "$budget" -gt 0 ] && [ $(($(date +%s) - start)) -ge "$budget" ]; then
		echo "mutate.sh: budget of ${budget}s spent"
		break
	fi
	cp "$file" "$backup"
	current=$file
	show="$file:$line $kind: '$(printf '%s' "$orig" | sed 's/\\t/ /g; s/^ *//')' -> '$(printf '%s' "$mut" | sed 's/\\t/ /g; s/^ *//')'"
	if ! python3 scripts/mutants.py apply "$file" "$line" "$orig" "$mut"; then
		# --rerun after the code changed: the original line is no longer there (once).
		gone=$((gone + 1))
		echo "gone $show"
		continue
	fi
	n=$((n + 1))
	if ! ninja -C "$build" >/dev/null 2>&1; then
		stillborn=$((stillborn + 1))
		echo "stillborn $show"
	elif timeout -k 10 "$timeout" meson test -C "$build" --no-rebuild --setup quick --maxfail 1 \
		--num-processes 2 --timeout-multiplier 0.25 >"$build/mutant.log" 2>&1 </dev/null; then
		reason=$(accepted_reason "$file" "$orig" "$mut")
		if [ -n "$reason" ]; then
			equivalent=$((equivalent + 1))
			echo "equivalent $show ($reason)"
		else
			survived=$((survived + 1))
			unlisted=$((unlisted + 1))
			echo "SURVIVED $show"
			[ -n "$survivors" ] && printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$file" "$line" "$kind" "$orig" "$mut" >>"$survivors"
		fi
	else
		killed=$((killed + 1))
		by=$(grep -m1 -oE '[a-z_-]+ +(FAIL|TIMEOUT)' "$build/mutant.log" | awk '{print $1}')
		echo "killed by ${by:-timeout} $show"
	fi
	restore
done <"$list"
rm -f "$list" "$backup"
ninja -C "$build" >/dev/null 2>&1
total=$((killed + survived))
rate=$(awk -v k=$killed -v t=$total 'BEGIN { printf "%.1f", t ? 100 * k / t : 100 }')
echo "mutants: $n run, $killed killed, $survived survived, $equivalent equivalent (accepted), $stillborn did not build$([ "$gone" -gt 0 ] && echo ", $gone gone from the code"); kill rate $rate% ($(($(date +%s) - start)) s)"
echo "tests: $((killed + equivalent)) passed, $unlisted failed"
if [ "$gate" -eq 1 ] && [ "$unlisted" -gt 0 ]; then
	echo "mutate.sh: $unlisted mutant(s) survived that $accepted does not list: add a test that catches each (or, for a mutant that cannot change behaviour, list it there with the reason)"
	exit 1
fi
exit 0
