#!/usr/bin/env bash
# Installs a simdml .deb on a clean Debian 12 and runs it there: debootstrap makes a minimal
# bookworm root in a temporary folder, apt installs the package with the dependencies it declares,
# and the installed simdml prints its machine and cross-validates k-NN on a small CSV it is given.
# Needs root and a Debian package mirror, so it is a release check, not one of the tests. The
# mirror is the one this machine's apt takes bookworm's main component from (apt-cache policy),
# unless --mirror names another.
#
#   cpack -G DEB --config build/CPackConfig.cmake -B build/package
#   sudo scripts/check_deb.sh build/package/simdml_0.1.0_amd64.deb [--mirror URL]
set -euo pipefail
usage="usage: check_deb.sh PACKAGE.deb [--mirror URL]"
deb=$(realpath "${1:?$usage}")
mirror=
case "${2:-}" in
  "") ;;
  --mirror) mirror=${3:?$usage} ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
if [ -z "$mirror" ]; then
  mirror=$(apt-cache policy | awk '$3 == "bookworm/main" && $4 == "amd64" {print $2; exit}')
  [ -n "$mirror" ] || { echo "check_deb.sh: apt has no bookworm main source here; give --mirror URL" >&2; exit 2; }
fi
[ "$(id -u)" -eq 0 ] || { echo "check_deb.sh needs root (debootstrap, chroot)" >&2; exit 2; }
command -v debootstrap > /dev/null || apt-get install -y -q debootstrap
root=$(mktemp -d /var/tmp/simdml-deb.XXXXXX)
cleanup() {
  for m in proc dev; do umount "$root/$m" 2> /dev/null || true; done
  rm -rf "$root"
}
trap cleanup EXIT
debootstrap --variant=minbase bookworm "$root" "$mirror" > "$root.log" 2>&1 ||
  { tail -n 20 "$root.log"; exit 1; }
rm -f "$root.log"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
cp "$deb" "$root/tmp/"
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "/tmp/$(basename "$deb")"
chroot "$root" simdml info
# A small iris-like CSV: the installed program reads, cross-validates and classifies it.
mkdir -p "$root/tmp/data/iris"
{
  echo "a,b,label"
  for i in $(seq 0 29); do echo "$i.0,$((i % 3)).5,$((i % 2))"; done
} > "$root/tmp/data/iris/iris.csv"
chroot "$root" simdml knn --data /tmp/data --dataset iris --cv 3 --k 1,3
echo "ok: $(basename "$deb") installs and runs on a clean Debian 12"
