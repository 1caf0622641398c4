#!/bin/sh
# Boot the hypervisor: nested KVM (qemu -accel kvm -cpu host) when this host exposes VT-x,
# else Bochs, which emulates VT-x with EPT.
#
# Usage: tools/run.sh [--initrd F] [--cmdline S] [--ram SIZE] [--vcpus N] [--timeout S] KERNEL
#        tools/run.sh [--timeout S] [IMAGE.iso]         (default build/hv.iso: the demo)
#
# With KERNEL (a Multiboot or Multiboot2 ELF): an image holding the hypervisor, the kernel
# (module "kernel") and the initrd (module "initrd"), with the hypervisor command line
#   vm=user,cpus=0,ram=SIZE,image=kernel[,module=initrd][,cmdline=S]
# (SIZE default 256M; the hypervisor picks the boot protocol from the kernel's header). The
# console is shown as it comes; the log and image stay in $RUN_DIR (default build/run).
# S goes through GRUB's command parser: runs of spaces become one, and GRUB puts a backslash
# before each ", ' and \ (as it does for any kernel).
#
# Exit status, from the hypervisor's last lines (it mirrors everything to port 0xE9):
#   (V<<1|1)&255  the guest wrote V to the debug-exit port 0xF4 (`vm "user": stopped
#                 (debug-exit port), status V`): what QEMU's isa-debug-exit gives, so test
#                 harnesses written for `qemu -kernel` work unchanged (KERNEL runs only)
#   0             clean end: ACPI power-off, the exit hypercall with 0, halted for good
#                 (`kestrel: exit status 0`)
#   2             the hypervisor refused: bad configuration, CPU or image (exit status 1)
#   4             the guest faulted: triple fault, EPT violation, watchdog, unhandled exit (3)
#   6             hypervisor bug (2), or a status this script does not know
#   8             timeout, or no `kestrel: exit status N` line
#   10            this script could not start the run (usage, missing file, image build)
# All but the debug-exit ones are even, so the two kinds never collide.
# tools/run.sh --status-from LOG exits with the status a KERNEL run with that log would have
# (for the tests of this table).
set -u
here=$(dirname "$0")
root=$here/..
initrd='' cmdline='' ram=256M vcpus=1 tmo='' target='' status_from=''

help() { # the header comment
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

usage() {
	echo "run: $*" >&2
	help | grep -A1 '^Usage' >&2
	exit 10
}

while [ $# -gt 0 ]; do
	case $1 in
	--initrd | --cmdline | --ram | --vcpus | --timeout)
		[ $# -ge 2 ] || usage "$1 needs a value"
		case $1 in
		--initrd) initrd=$2 ;;
		--cmdline) cmdline=$2 ;;
		--ram) ram=$2 ;;
		--vcpus) vcpus=$2 ;;
		--timeout) tmo=$2 ;;
		esac
		shift 2
		;;
	-h | --help) help; exit 0 ;;
	--status-from) status_from=${2:?}; shift 2 ;;
	-*) usage "unknown option $1" ;;
	*)
		[ -z "$target" ] || usage "one KERNEL or IMAGE only"
		target=$1
		shift
		;;
	esac
done

is_iso() { # ISO 9660: "CD001" at byte 32769
	[ "$(dd if="$1" bs=1 skip=32769 count=5 2>/dev/null)" = CD001 ]
}

# to_mib SIZE: SIZE (decimal or 0x hex, K/M/G suffix) in MiB, rounded up; 999999 when huge
to_mib() {
	num=${1%[KkMmGg]} suf=${1#"$num"}
	case $suf in K | k) mul=1024 ;; M | m) mul=1048576 ;; G | g) mul=1073741824 ;; *) mul=1 ;; esac
	case $num in
	0[xX]*) [ ${#num} -le 12 ] || { echo 999999; return; } ;;
	*) [ ${#num} -le 12 ] || { echo 999999; return; } ;;
	esac
	echo $(((num * mul + 1048575) / 1048576))
}

file_mib() {
	echo $((($(wc -c < "$1") + 1048575) / 1048576))
}

# GRUB reads the menu line as words: escape what its parser would take ($ ; | & < > { } # ...)
grub_escape() {
	printf '%s' "$1" | sed 's/[^A-Za-z0-9 ,._=:/+@%^~-]/\\&/g'
}

# status_of LOG USER: the exit status of the table above, from the hypervisor's lines
status_of() {
	awk -v user="$2" '
	{ sub(/\r$/, "") }
	/^kestrel: exit status [0-9]+$/ { n = $4 + 0; seen = 1 }
	user && /^vm "user": stopped \(debug-exit port\), status [0-9]+$/ { v = $NF + 0; dbg = 1 }
	END {
		if (!seen) print 8
		else if (n == 0) print (dbg ? (v * 2 + 1) % 256 : 0)
		else print (n == 1 ? 2 : n == 3 ? 4 : 6)
	}' "$1"
}

[ -z "$status_from" ] || exit "$(status_of "$status_from" 1)"

work=${RUN_DIR:-$root/build/run}
mkdir -p "$work" || usage "cannot make $work"
user=0
if [ -n "$target" ] && ! is_iso "$target"; then
	user=1
	[ -f "$target" ] || usage "no kernel file $target"
	[ -z "$initrd" ] || [ -f "$initrd" ] || usage "no initrd file $initrd"
	printf '%s' "$ram" | grep -Eq '^(0[xX][0-9a-fA-F]+|[0-9]+)[KkMmGg]?$' ||
		usage "--ram $ram: want a size like 256M, 1G or 0x10000000"
	printf '%s' "$vcpus" | grep -Eq '^[1-9][0-9]*$' || usage "--vcpus $vcpus: want a number"
	case $cmdline in *"
"*) usage "--cmdline holds a newline" ;; esac
	hv=${HV:-$root/build/hv.elf}
	[ -f "$hv" ] || usage "no hypervisor $hv (run make first)"
	# Fixed module file names: GRUB module paths never clash whatever the user's file names.
	rm -rf "$work/mods"
	mkdir -p "$work/mods"
	ln -s "$(realpath "$target")" "$work/mods/kernel"
	spec="vm=user,cpus=0"
	[ "$vcpus" = 1 ] || spec="vm=user,cpus=0-$((vcpus - 1))"
	spec="$spec,ram=$ram,image=kernel"
	mods="$work/mods/kernel:kernel"
	extra=$(file_mib "$target")
	if [ -n "$initrd" ]; then
		ln -s "$(realpath "$initrd")" "$work/mods/initrd"
		spec="$spec,module=initrd"
		mods="$mods $work/mods/initrd:initrd"
		extra=$((extra + $(file_mib "$initrd")))
	fi
	[ -z "$cmdline" ] || spec="$spec,cmdline=$(grub_escape "$cmdline")"
	iso=$work/run.iso
	# shellcheck disable=SC2086 # $mods: words without spaces
	"$here/mkimage.sh" "$iso" "$hv" "$spec" $mods || usage "image build failed"
	megs=$(($(to_mib "$ram") + extra + 64)) # the guest's RAM, the modules, the hypervisor
	cpus=$vcpus
	tmo=${tmo:-300}
else
	[ -z "$initrd$cmdline" ] || usage "--initrd and --cmdline need a KERNEL"
	iso=${target:-$root/build/hv.iso}
	[ -f "$iso" ] || usage "no image $iso (run make first)"
	megs=512 cpus=1 tmo=${tmo:-120}
fi
printf '%s' "$tmo" | grep -Eq '^[1-9][0-9]*$' || usage "--timeout $tmo: want seconds"

log=$work/e9.txt
rm -f "$log"
# At a terminal the keyboard is COM1's input: kestrel gives it to the VM with the console.
tty=''
[ "$user" = 0 ] || ! [ -t 0 ] || ! [ -t 1 ] || tty=$(tty)
if [ -w /dev/kvm ] && grep -qw vmx /proc/cpuinfo; then
	[ "$megs" -le 65536 ] || megs=65536
	if [ -n "$tty" ]; then
		timeout --foreground "$tmo" qemu-system-x86_64 -accel kvm -cpu host -m "$megs" \
			-smp "$cpus" -cdrom "$iso" -serial stdio -debugcon "file:$log" -display none \
			-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4
	else
		timeout "$tmo" qemu-system-x86_64 -accel kvm -cpu host -m "$megs" -smp "$cpus" \
			-cdrom "$iso" -serial stdio -debugcon "file:$log" -display none -no-reboot \
			-device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null
	fi
else
	echo "run: no VT-x on this host; using Bochs (corei7_skylake_x, VT-x with EPT emulated)" >&2
	[ "$megs" -le 2048 ] || megs=2048 # Bochs's limit; the hypervisor refuses what does not fit
	rm -rf "$work/bochs"
	if [ -n "$tty" ]; then
		echo "run: COM1 is this terminal: type to the guest (Ctrl-A ? lists the VMs)" >&2
		BOCHS_DIR=$work/bochs BOCHS_TTY=1 BOCHS_COM1="mode=term, dev=$tty" \
			"$here/bochs.sh" "$iso" corei7_skylake_x "$megs" "$cpus" "$tmo"
	else
		BOCHS_DIR=$work/bochs "$here/bochs.sh" "$iso" corei7_skylake_x "$megs" "$cpus" "$tmo"
	fi
	cp "$work/bochs/e9.txt" "$log" 2>/dev/null
fi
[ -f "$log" ] || : > "$log"
status=$(status_of "$log" "$user")
echo "run: exit status $status (log: $log)" >&2
exit "$status"
