#!/bin/sh
# Build a hybrid BIOS+UEFI GRUB image (grub-mkrescue) holding the hypervisor
# and its modules. Usage: mkimage.sh OUT.iso HV.elf "HV CMDLINE" [FILE:MODSTRING ...]
# The module string's first word names the module; the rest are its arguments.
# With a command line: one menu entry, no timeout (what the tests and benchmarks use).
# With --menu instead: one entry per user-facing built-in configuration, "config=NAME",
# in the order $LISTCONFIGS (default build/listconfigs) prints them; 5 s, the first by default.
# A copy of the menu goes to $MKIMAGE_CFG when that is set.
# Under BIOS GRUB keeps VGA text mode for kestrel's console (gfxpayload=text: the EGA text
# buffer every PC has; VBE modes vary, and an 8-bpp one is of no use); $MKIMAGE_GFXPAYLOAD
# (e.g. 1024x768x32) asks for a graphics mode instead. Under UEFI the GOP framebuffer is all there is.
set -eu
out=$1 hv=$2 cmdline=$3
shift 3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/boot/grub"
cp "$hv" "$dir/boot/kestrel.elf"
if [ "$cmdline" = --menu ]; then
	list=${LISTCONFIGS:-$(dirname "$0")/../build/listconfigs}
	names=$("$list") || { echo "mkimage: $list failed" >&2; exit 1; }
	[ -n "$names" ] || { echo "mkimage: $list lists no configuration" >&2; exit 1; }
	timeout=5
else
	names=
	timeout=0
fi
for m in "$@"; do
	cp "${m%%:*}" "$dir/boot/$(basename "${m%%:*}")"
done

# entry TITLE HV_CMDLINE MODULE...: one menu entry
entry() {
	echo "menuentry \"$1\" {"
	echo "  multiboot2 /boot/kestrel.elf $2"
	shift 2
	for m in "$@"; do
		echo "  module2 /boot/$(basename "${m%%:*}") ${m#*:}"
	done
	# after multiboot2, which sets gfxpayload from the image's framebuffer tag
	echo "  if [ \"\$grub_platform\" = pc ]; then set gfxpayload=${MKIMAGE_GFXPAYLOAD:-text}; fi"
	echo '  boot'
	echo '}'
}

{
	echo "set timeout=$timeout"
	echo 'set default=0'
	echo 'insmod all_video'
	echo 'serial --unit=0 --speed=115200'
	echo 'terminal_input serial console'
	echo 'terminal_output serial console'
	if [ -n "$names" ]; then
		for n in $names; do
			entry "kestrel: $n" "config=$n" "$@"
		done
	else
		entry kestrel "$cmdline" "$@"
	fi
} > "$dir/boot/grub/grub.cfg"
[ -z "${MKIMAGE_CFG:-}" ] || cp "$dir/boot/grub/grub.cfg" "$MKIMAGE_CFG"
grub-mkrescue -o "$out" "$dir" >/dev/null 2>&1 || {
	echo "mkimage: grub-mkrescue failed for $out" >&2
	grub-mkrescue -o "$out" "$dir" >&2
	exit 1
}
