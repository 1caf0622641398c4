#!/bin/sh
# make run: nested KVM when this host exposes VT-x, else Bochs (which emulates VT-x with EPT).
set -eu
iso=$1
if [ -w /dev/kvm ] && grep -qw vmx /proc/cpuinfo; then
	exec qemu-system-x86_64 -accel kvm -cpu host -m 512 -cdrom "$iso" -serial stdio \
		-display none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4
fi
echo "run: no VT-x on this host; using Bochs (corei7_skylake_x, VT-x with EPT emulated)" >&2
exec "$(dirname "$0")/bochs.sh" "$iso" corei7_skylake_x 512 1 120
