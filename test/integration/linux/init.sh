#!/bin/sh
# /init of the Linux tests' initramfs (test/integration/cases_linux.py): report what the
# kernel sees, do some real work, read the shared board when board=GPA is on the command
# line, give a shell when shell=1 is, then power off through ACPI.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mem=$(grep MemTotal /proc/meminfo | tr -s ' ' | cut -d' ' -f2)
echo "KESTREL-LINUX release=$(uname -r) cpus=$(nproc) memtotal_kb=$mem"
a=$(head -c 262144 /bin/busybox | sha256sum | cut -d' ' -f1)
b=$(dd if=/bin/busybox bs=4096 count=64 2>/dev/null | sha256sum | cut -d' ' -f1)
sum=$(seq 1 2000 | awk '{ s += $1 } END { print s }')
[ "$a" = "$b" ] && same=same || same=differ
echo "KESTREL-WORK sha256=$same sum=$sum"
for w in $(cat /proc/cmdline); do
	case $w in
	board=*) board=${w#board=} ;;
	shell=1) shell=1 ;;
	reboot=1) reboot=1 ;;
	esac
done
if [ -n "$board" ]; then
	# the writer VM fills 16 words: "KEST", i*i for i = 1..14, then "DONE"
	n=0
	while [ "$(devmem $((board + 60)) 32)" != 0x444F4E45 ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	words=""
	i=0
	while [ $i -lt 16 ]; do
		words="$words $(devmem $((board + 4 * i)) 32)"
		i=$((i + 1))
	done
	echo "KESTREL-BOARD$words"
fi
if [ -n "$shell" ]; then
	echo "KESTREL-SHELL ready"
	sh
fi
# reboot=1: the kernel's reboot path (the FADT's reset register first, port 0xCF9)
[ -z "$reboot" ] || reboot -f
poweroff -f
