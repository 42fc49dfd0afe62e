#!/usr/bin/env bash
# The Debian package, built and installed into a fresh root: a tree that
# holds only a shell, the coreutils the maintainer scripts use, the shared
# libraries the programs link, and dpkg's database copied from this Debian
# host (so the package's Depends are checked against real Debian packages).
# dpkg --root installs it and runs its maintainer scripts chrooted there.
# Checked: `shoald --version` and `shoald --check-config` run in the root
# on the installed configuration; the files are where the unit expects
# them with the right modes; the unit passes systemd-analyze; the
# completion loads; a reinstall (an upgrade) keeps the pool key and an
# edited configuration; purge removes the state and secrets.
# Usage: test/package/package_test.sh BUILD_DIR   (run as root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-package-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "package test: $*" >&2; exit 1; }

deb=$("$top/scripts/package.sh" --build-dir "$build" --out "$work" | tail -n 1)
[ -f "$deb" ] || fail "scripts/package.sh made no package"
root=$work/root

# The fresh root.
copy() {  # copy FILE...: each file and the libraries it needs, at the same paths
  local f lib
  for f in "$@"; do
    mkdir -p "$root$(dirname "$f")"
    cp -L "$f" "$root$f"
    for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true); do
      [ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; }
    done
  done
}
mkdir -p "$root"/{dev,etc,proc,tmp,run,var/lib/dpkg/info,var/lib/dpkg/updates,usr/bin,usr/lib}
mknod -m 666 "$root/dev/null" c 1 3
ln -s usr/bin "$root/bin"
ln -s usr/lib "$root/lib"
ln -s usr/lib "$root/lib64"
copy /usr/bin/dash /usr/bin/mkdir /usr/bin/chmod /usr/bin/rm /usr/bin/rmdir /usr/bin/cat
ln -s dash "$root/usr/bin/sh"
touch "$root/var/lib/dpkg/available"
# dpkg's record of the packages the package depends on, as this host has
# them (their libraries are copied below), with empty file lists.
depends=$(dpkg-deb -f "$deb" Depends | sed 's/([^)]*)//g; s/,/ /g')
for d in $depends; do
  p=$d
  # A virtual package: the installed one that provides it.
  dpkg-query -s "$p" >/dev/null 2>&1 ||
    p=$(dpkg-query -W -f '${Package} ${Provides}\n' | awk -v d="$d" '{ for (i = 2; i <= NF; i++) { gsub(/[(),]/, "", $i); if ($i == d) print $1 } }' | head -n 1)
  [ -n "$p" ] && dpkg-query -s "$p" >>"$root/var/lib/dpkg/status" || fail "this host lacks $d, a dependency of the package"
  echo >>"$root/var/lib/dpkg/status"
  multi=$(dpkg-query -W -f '${Multi-Arch}' "$p")
  if [ "$multi" = same ]; then touch "$root/var/lib/dpkg/info/$p:$(dpkg --print-architecture).list"; else touch "$root/var/lib/dpkg/info/$p.list"; fi
done
# The programs in the package link these; copy them as the host has them.
dpkg-deb -x "$deb" "$work/unpacked"
for b in "$work"/unpacked/usr/bin/*; do
  for lib in $(ldd "$b" | grep -o '/[^ ]*'); do
    [ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; }
  done
done

# With /proc mounted in the root, in a mount namespace of its own (gone
# with the command), as a real system has it.
with_proc() {  # with_proc CMD...
  unshare --mount --fork sh -c 'mount -t proc proc "$0/proc" && exec "$@"' "$root" "$@"
}
in_root() { with_proc chroot "$root" "$@"; }
dpkg_root() { with_proc dpkg --root="$root" "$@"; }

echo "package test: installing $(basename "$deb") into $root"
dpkg_root -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i failed"; }
grep -q "made a new pool key" "$work/dpkg.log" || fail "postinst did not say it made a pool key"

version=$(in_root /usr/bin/shoald --version)
echo "package test: $version"
[[ "$version" == "shoald "* ]] || fail "shoald --version said: $version"
in_root /usr/bin/shoalctl --version | grep -q "^shoalctl " || fail "shoalctl --version"
in_root /usr/bin/shoal-sim --version | grep -q "^shoal-sim " || fail "shoal-sim --version"

# The files the unit names, with their modes.
unit=$root/lib/systemd/system/shoald.service
[ -f "$unit" ] || fail "no unit at /lib/systemd/system/shoald.service"
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
config=$(sed -n 's/^ExecStart=.*--config \([^ ]*\).*/\1/p' "$unit")
[ -x "$root$exec_start" ] || fail "the unit's ExecStart $exec_start is not installed"
[ -f "$root$config" ] || fail "the unit's configuration $config is not installed"
mode() { stat -c %a "$root$1"; }
[ "$(mode /var/lib/shoal)" = 700 ] || fail "/var/lib/shoal is $(mode /var/lib/shoal), not 700"
[ "$(mode /etc/shoal/pool.key)" = 600 ] || fail "/etc/shoal/pool.key is $(mode /etc/shoal/pool.key)"
[ "$(mode /etc/shoal/tokens)" = 600 ] || fail "/etc/shoal/tokens is $(mode /etc/shoal/tokens)"
for f in /usr/share/man/man8/shoald.8.gz /usr/share/man/man1/shoalctl.1.gz /usr/share/shoal/shoal-policy.xsd \
  /usr/share/shoal/policies/small.xml /usr/share/bash-completion/completions/shoalctl \
  /usr/share/snmp/mibs/SHOAL-MIB.txt; do
  [ -f "$root$f" ] || fail "$f is not installed"
done
grep -qx /etc/shoal/shoald.toml "$root/var/lib/dpkg/info/shoal.conffiles" || fail "shoald.toml is not a conffile"

# The installed configuration starts as is.
check=$(in_root /usr/bin/shoald --check-config 2>&1) || { echo "$check"; fail "--check-config refused the installed configuration"; }
echo "package test: $(echo "$check" | tail -n 1)"
echo "$check" | grep -q "is valid" || fail "--check-config said: $check"

exposure=$(systemd-analyze security --offline=true --root="$root" shoald.service 2>&1 | tail -n 1)
echo "package test: $exposure"
echo "$exposure" | grep -Eq "exposure level for shoald.service: [0-4]\.[0-9] (OK|SAFE)" || fail "unit exposure: $exposure"
if [ -f /usr/share/bash-completion/bash_completion ]; then
  # "shoalctl history ev<TAB>" completes to "events".
  got=$(bash -c ". /usr/share/bash-completion/bash_completion; . '$root/usr/share/bash-completion/completions/shoalctl'
    COMP_WORDS=(shoalctl history ev); COMP_CWORD=2; COMP_LINE='shoalctl history ev'; COMP_POINT=\${#COMP_LINE}
    _shoalctl; echo \"\${COMPREPLY[*]}\"")
  [ "$got" = events ] || fail "the shoalctl completion offered '$got' for 'shoalctl history ev'"
fi

# An upgrade (the package again) keeps the key, the tokens and an edited configuration.
key=$(cat "$root/etc/shoal/pool.key")
echo '# edited by the operator' >>"$root/etc/shoal/shoald.toml"
dpkg_root -i "$deb" >"$work/dpkg2.log" 2>&1 || { cat "$work/dpkg2.log"; fail "reinstall failed"; }
[ "$(cat "$root/etc/shoal/pool.key")" = "$key" ] || fail "the upgrade replaced the pool key"
grep -q "edited by the operator" "$root/etc/shoal/shoald.toml" || fail "the upgrade lost the operator's edit"

dpkg_root --purge shoal >"$work/dpkg3.log" 2>&1 || { cat "$work/dpkg3.log"; fail "purge failed"; }
for f in /usr/bin/shoald /var/lib/shoal /etc/shoal/pool.key /etc/shoal/shoald.toml /lib/systemd/system/shoald.service; do
  [ ! -e "$root$f" ] || fail "$f is still there after purge"
done
echo "package test: passed"
