#!/bin/sh
# Fetch Debian 12's stock cloud kernel and busybox-static with apt-get download (what the
# Linux tests and benchmarks boot) into DIR (default build/linux), once: later runs reuse
# them. Prints the kernel's and busybox's paths. Nothing fetched is committed.
# Usage: tools/fetch-linux.sh [DIR]
set -eu
dir=${1:-$(dirname "$0")/../build/linux}
mkdir -p "$dir"
cd "$dir"
if [ ! -f vmlinuz ] || [ ! -f busybox ]; then
	rm -rf debs x
	mkdir debs
	(cd debs && apt-get download linux-image-cloud-amd64 busybox-static >/dev/null 2>&1) || {
		echo "fetch-linux: apt-get download failed (no network or no Debian sources?)" >&2
		exit 1
	}
	# the meta package names the versioned one
	ver=$(dpkg-deb -f debs/linux-image-cloud-amd64_*.deb Depends | sed 's/ .*//')
	(cd debs && apt-get download "$ver" >/dev/null 2>&1) || {
		echo "fetch-linux: apt-get download $ver failed" >&2
		exit 1
	}
	for d in debs/*.deb; do dpkg-deb -x "$d" x; done
	cp x/boot/vmlinuz-* vmlinuz.tmp && mv vmlinuz.tmp vmlinuz
	cp x/bin/busybox busybox.tmp && mv busybox.tmp busybox
	ls x/boot/vmlinuz-* | sed 's|.*/vmlinuz-||' > release
	rm -rf debs x
fi
echo "$PWD/vmlinuz"
echo "$PWD/busybox"
