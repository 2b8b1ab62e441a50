#!/usr/bin/env bash
# Fetch the assignment's data into datasets/ (or $NETVIS_DATA_DIR) and verify every file's sha256.
#
#   ./get_datasets.sh                                  # from the public URLs
#   NETVIS_DATA_MIRROR=/path/to/mirror ./get_datasets.sh   # offline: a folder or URL with SHA256SUMS
#
# Files already present and verified are skipped. Each download goes to a temporary name and
# is renamed only once its checksum matches, so a partial or corrupt file never looks complete.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dest=${NETVIS_DATA_DIR:-$here/datasets}
mirror=${NETVIS_DATA_MIRROR:-}

# name, checksum (a full sha256, or torch.hub's hash prefix from the file name), public URL
PUBLIC_FILES="
imagenet_val_25.npz 35141609d22457c791e8fbe10c2d3b09ed0d6a04b669173e9fbebb0b4915cd3c http://cs231n.stanford.edu/imagenet_val_25.npz
squeezenet1_1-b8a52dc0.pth b8a52dc0 https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth
"

die() { echo "get_datasets.sh: error: $*" >&2; exit 1; }

# fetch SOURCE TARGET: copy a local path, or download a file://, http:// or https:// URL.
fetch() {
  case $1 in
    file://* | http://* | https://*) curl --fail --location --silent --show-error --retry 3 -o "$2" "$1" ;;
    *) cp -- "$1" "$2" ;;
  esac
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# verified_weights: print a SqueezeNet 1.1 weights file already in $dest whose sha256 starts
# with the hash in its name (torchvision's or the mirror's copy; the kit accepts either).
verified_weights() {
  local file prefix
  for file in "$dest"/squeezenet1_1*-*.pth; do
    [ -f "$file" ] || continue
    prefix=${file##*-}; prefix=${prefix%.pth}
    if [[ $(sha256_of "$file") == "$prefix"* ]]; then echo "${file##*/}"; return; fi
  done
}

partial=""
trap '[ -n "$partial" ] && rm -f -- "$partial"' EXIT

# get NAME CHECKSUM SOURCE: make $dest/NAME a verified copy of SOURCE.
get() {
  local name=$1 want=$2 source=$3 target=$dest/$1 got
  if [ -f "$target" ] && [[ $(sha256_of "$target") == "$want"* ]]; then
    echo "ok       $name (already verified)"
    return
  fi
  partial=$(mktemp "$dest/.$name.partial.XXXXXX")
  echo "fetching $name from $source"
  fetch "$source" "$partial" || die "could not fetch $name from $source. Check the network, or set NETVIS_DATA_MIRROR to a folder holding the files and SHA256SUMS."
  got=$(sha256_of "$partial")
  if [[ $got != "$want"* ]]; then
    die "checksum mismatch for $name from $source: expected $want, got $got. The download is corrupt or the source has changed; nothing was kept. Run ./get_datasets.sh again, or check NETVIS_DATA_MIRROR."
  fi
  chmod 0644 "$partial"
  mv -f -- "$partial" "$target"
  partial=""
  echo "ok       $name (sha256 $got)"
}

mkdir -p "$dest"
if [ -n "$mirror" ]; then
  base=${mirror%/}
  sums=$(mktemp)
  fetch "$base/SHA256SUMS" "$sums" || die "no SHA256SUMS at $base: NETVIS_DATA_MIRROR must name a folder or URL holding the data files and a SHA256SUMS list."
  while read -r sum name; do
    [ -n "$name" ] && get "${name#\*}" "$sum" "$base/${name#\*}"
  done < "$sums"
  rm -f "$sums"
else
  while read -r name sum url; do
    [ -n "$name" ] || continue
    if [[ $name == squeezenet1_1* ]] && weights=$(verified_weights) && [ -n "$weights" ]; then
      echo "ok       $weights (already verified; stands in for $name)"
      continue
    fi
    get "$name" "$sum" "$url"
  done <<< "$PUBLIC_FILES"
fi
echo "datasets ready in $dest"
