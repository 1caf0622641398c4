#!/bin/sh
# Build a hybrid BIOS+UEFI GRUB image (grub-mkrescue) holding the hypervisor
# and its modules. Usage: mkimage.sh OUT.iso HV.elf "HV CMDLINE" [FILE:MODSTRING ...]
# The module string's first word names the module; the rest are its arguments.
set -eu
out=$1 hv=$2 cmdline=$3
shift 3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/boot/grub"
cp "$hv" "$dir/boot/kestrel.elf"
{
	echo 'set timeout=0'
	echo 'set default=0'
	echo 'insmod all_video'
	echo 'serial --unit=0 --speed=115200'
	echo 'terminal_input serial console'
	echo 'terminal_output serial console'
	echo 'menuentry "kestrel" {'
	echo "  multiboot2 /boot/kestrel.elf $cmdline"
	for m in "$@"; do
		file=${m%%:*} str=${m#*:}
		base=$(basename "$file")
		cp "$file" "$dir/boot/$base"
		echo "  module2 /boot/$base $str"
	done
	echo '  boot'
	echo '}'
} > "$dir/boot/grub/grub.cfg"
grub-mkrescue -o "$out" "$dir" >/dev/null 2>&1 || {
	echo "mkimage: grub-mkrescue failed for $out" >&2
	grub-mkrescue -o "$out" "$dir" >&2
	exit 1
}
