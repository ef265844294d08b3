#!/bin/sh
# The cache of parsed rule files (src/rules-cache.c, issue 23): a run with
# the cache gives the same output as one without, for clean and for broken
# rules (every error still file:line:col); a file with an error is never
# cached; an edited rule file (same size) is parsed again; a cache file or
# directory another user could have written, a foreign owner's file, or a
# corrupt file is not used (the text is parsed and the file replaced).
. "$(dirname "$0")/lib.sh"
FX="$HR_SRCDIR/tests/fixtures"
C="$T/cache"
mkdir -m 0700 "$C"
export HEADROOM_CACHE_DIR="$C"
ino() { stat -c %i "$1"; }

# The shipped rules: no cache, then filling it, then from it: one output.
HEADROOM_CACHE_DIR= "$HR_BIN" rules list --format json >"$T/list.0" || fail "rules list without cache"
"$HR_BIN" rules list --format json >"$T/list.1" || fail "rules list filling the cache"
n=$(ls "$HR_SRCDIR"/rules/*.yaml | wc -l)
assert_eq "$(ls "$C" | grep -c '^rules-.*\.ydoc$')" "$n" "one cache file per shipped rule file"
"$HR_BIN" rules list --format json >"$T/list.2" || fail "rules list from the cache"
cmp -s "$T/list.0" "$T/list.1" || fail "rules list differs while filling the cache"
cmp -s "$T/list.0" "$T/list.2" || fail "rules list differs from the cache"
"$HR_BIN" rules check >"$T/check.2" || fail "rules check from the cache: $(cat "$T/check.2")"
HEADROOM_CACHE_DIR= "$HR_BIN" rules check >"$T/check.0" || true
cmp -s "$T/check.0" "$T/check.2" || fail "rules check differs from the cache"

# Broken rules: the same diagnostics every time, and no file with an error
# is cached (each file of rules-bad has one).
HEADROOM_CACHE_DIR= "$HR_BIN" rules check --no-default-rules --rules "$FX/rules-bad" >"$T/bad.0" || true
"$HR_BIN" rules check --no-default-rules --rules "$FX/rules-bad" >"$T/bad.1" || true
"$HR_BIN" rules check --no-default-rules --rules "$FX/rules-bad" >"$T/bad.2" || true
grep -qF "rules-bad/broken.yaml:14:5: error: unknown key 'severty'" "$T/bad.2" || fail "located error lost: $(cat "$T/bad.2")"
cmp -s "$T/bad.0" "$T/bad.1" || fail "diagnostics differ while filling the cache"
cmp -s "$T/bad.0" "$T/bad.2" || fail "diagnostics differ from the cache: $(diff "$T/bad.0" "$T/bad.2")"
assert_eq "$(ls "$C" | wc -l)" "$n" "files of rules-bad cached"

# An edit of the same size: parsed again, the new title listed.
mkdir "$T/r"
cp "$FX/rules-good/"*.yaml "$T/r/"
"$HR_BIN" rules list --no-default-rules --rules "$T/r" --format json >"$T/r.1" || fail "rules list (copy)"
f=$(grep -l 'title:' "$T/r/"*.yaml | head -n 1)
old=$(grep -m 1 'title:' "$f" | sed 's/.*title: *//; s/^"//; s/"$//')
new=$(printf '%s' "$old" | tr 'a-z' 'A-Z')
[ "$old" != "$new" ] || skip "no lower-case title to change in $f"
sz=$(stat -c %s "$f")
sed -i "0,/$old/s//$new/" "$f"
assert_eq "$(stat -c %s "$f")" "$sz" "the edit keeps the size"
"$HR_BIN" rules list --no-default-rules --rules "$T/r" --format json >"$T/r.2" || fail "rules list after the edit"
grep -qF "$new" "$T/r.2" || fail "the edited title not listed (a stale cache used): $(cat "$T/r.2")"
grep -qF "$old" "$T/r.2" && fail "the old title still listed"

# Cache files not to be trusted: replaced, not used.
one=$(ls "$C"/rules-*.ydoc | head -n 1)
chmod g+w "$one"
i0=$(ino "$one")
"$HR_BIN" rules list --format json >"$T/list.3" || fail "rules list (group-writable cache file)"
cmp -s "$T/list.0" "$T/list.3" || fail "output differs (group-writable cache file)"
[ "$(ino "$one")" != "$i0" ] || fail "a group-writable cache file was kept"
assert_eq "$(stat -c %a "$one")" 644 "the replaced cache file's mode"
if id nobody >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
	chown nobody "$one"
	i0=$(ino "$one")
	"$HR_BIN" rules list --format json >"$T/list.4" || fail "rules list (cache file of nobody)"
	cmp -s "$T/list.0" "$T/list.4" || fail "output differs (cache file of nobody)"
	[ "$(ino "$one")" != "$i0" ] || fail "a cache file of another user was kept"
fi
# Corrupt: the same size, garbage after the header; then cut short.
for how in garbage short; do
	sz=$(stat -c %s "$one")
	if [ $how = garbage ]; then
		head -c 200 "$one" >"$T/x"
		head -c $((sz - 200)) /dev/urandom >>"$T/x"
	else
		head -c $((sz / 2)) "$one" >"$T/x"
	fi
	cat "$T/x" >"$one"
	"$HR_BIN" rules list --format json >"$T/list.5" || fail "rules list ($how cache file)"
	cmp -s "$T/list.0" "$T/list.5" || fail "output differs ($how cache file)"
	assert_eq "$(stat -c %s "$one")" "$sz" "$how cache file rewritten"
done
# One byte changed anywhere (header, records, text): never used.
python3 - "$one" "$T/flip" <<'PY'
import random, sys
data = open(sys.argv[1], "rb").read()
rnd = random.Random(23)
offs = sorted(set([0, 8, 12, 60, 100, len(data) - 1] + [rnd.randrange(len(data)) for _ in range(14)]))
open(sys.argv[2], "w").write(" ".join(str(o) for o in offs))
PY
cp "$one" "$T/good"
for off in $(cat "$T/flip"); do
	python3 -c 'import sys; p, o = sys.argv[1], int(sys.argv[2]); b = bytearray(open(p, "rb").read()); b[o] ^= 0x5a; open(p, "wb").write(b)' "$one" "$off"
	"$HR_BIN" rules list --format json >"$T/list.7" 2>&1 || fail "rules list (byte $off of a cache file changed): $(head -n 3 "$T/list.7")"
	cmp -s "$T/list.0" "$T/list.7" || fail "output differs (byte $off of a cache file changed)"
	cmp -s "$one" "$T/good" || fail "a cache file with byte $off changed was not replaced"
done
# A cache directory others may write: not used at all (nothing written).
mkdir -m 0777 "$T/open"
HEADROOM_CACHE_DIR="$T/open" "$HR_BIN" rules list --format json >"$T/list.6" || fail "rules list (open cache dir)"
cmp -s "$T/list.0" "$T/list.6" || fail "output differs (open cache dir)"
assert_eq "$(ls "$T/open" | wc -l)" 0 "files written into a world-writable cache directory"
# An absent directory is not created.
HEADROOM_CACHE_DIR="$T/none" "$HR_BIN" rules list >/dev/null || fail "rules list (no cache dir)"
[ ! -e "$T/none" ] || fail "the cache directory was created"
note "cache: $n files, $(du -sk "$C" | cut -f1) KiB"
