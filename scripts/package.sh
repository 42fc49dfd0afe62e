#!/usr/bin/env bash
# Builds the Debian package shoal_VERSION_ARCH.deb: shoald, shoalctl and
# shoal-sim in /usr/bin, the systemd unit, /etc/shoal/shoald.toml (a
# conffile), the example policies and plan, the XSD, man pages made from
# --help (help2man), bash completion for shoalctl, and maintainer scripts
# (scripts/debian/) that create the state directory and, on a first
# install, a pool key and an admin token.
# VERSION is the project's version, then +git, the number of commits and
# the commit: later commits make later versions, so upgrades go forward.
# Usage: scripts/package.sh [--build-dir DIR] [--out DIR]
#   --build-dir  package an existing CMake build (default: build a Release one)
#   --out        where the .deb goes (default: build/package); its path is printed last
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=""
out=$top/build/package
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build=$(cd "$2" && pwd); shift 2 ;;
    --out) mkdir -p "$2"; out=$(cd "$2" && pwd); shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0"; exit 0 ;;
    *) echo "package: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
for tool in dpkg-deb dpkg-shlibdeps help2man; do
  command -v "$tool" >/dev/null || { echo "package: $tool is missing (apt-get install dpkg-dev help2man)" >&2; exit 1; }
done
if [ -z "$build" ]; then
  "$top/scripts/build.sh" Release shoald shoalctl shoal-sim
  build=$top/build/Release
else
  cmake --build "$build" --target shoald shoalctl shoal-sim -j"$(nproc)" >/dev/null
fi

version=$(sed -n 's/^project(shoal VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
if git -C "$top" rev-parse HEAD >/dev/null 2>&1; then
  version="$version+git$(git -C "$top" rev-list --count HEAD).$(git -C "$top" rev-parse --short=12 HEAD)"
fi
arch=$(dpkg --print-architecture)
stage=$(mktemp -d "${TMPDIR:-/tmp}/shoal-package.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/root
DESTDIR=$root cmake --install "$build" --prefix /usr >/dev/null
strip --strip-unneeded "$root"/usr/bin/*

# Man pages from --help, so they never drift from the programs.
mkdir -p "$root/usr/share/man/man8" "$root/usr/share/man/man1"
man() {  # man PROGRAM SECTION DESCRIPTION
  help2man --no-info --no-discard-stderr --section "$2" --name "$3" "$root/usr/bin/$1" |
    sed "s|$root||g" | gzip -9n >"$root/usr/share/man/man$2/$1.$2.gz"
}
man shoald 8 "the Shoal daemon: policy-based CPU and bandwidth sharing across a server pool"
man shoalctl 1 "ask and steer a Shoal pool"
man shoal-sim 1 "simulate a Shoal pool of many nodes"
mkdir -p "$root/usr/share/doc/shoal"
cp "$top/README.md" "$root/usr/share/doc/shoal/README.md"

# Dependencies: the shared libraries the programs link, as Debian names them.
mkdir -p "$stage/debian"
printf 'Source: shoal\n\nPackage: shoal\nArchitecture: any\n' >"$stage/debian/control"
depends=$(cd "$stage" && dpkg-shlibdeps -O "$root"/usr/bin/* 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
# Loaded only when an [[events.snmp_trap]] sink is configured (dlopen).
depends="$depends, libsnmp40"

mkdir -p "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@DEPENDS@/$depends/" -e "s/@SIZE@/$size/" \
  "$top/scripts/debian/control.in" >"$root/DEBIAN/control"
echo /etc/shoal/shoald.toml >"$root/DEBIAN/conffiles"
install -m 755 "$top/scripts/debian/postinst" "$top/scripts/debian/prerm" "$top/scripts/debian/postrm" "$root/DEBIAN/"
chmod 755 "$root/etc/shoal"
deb=$out/shoal_${version}_${arch}.deb
mkdir -p "$out"
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"
