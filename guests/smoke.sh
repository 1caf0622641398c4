#!/bin/bash
# Smoke test of the guests without the hypervisor, under plain QEMU (TCG):
#  - mb1.elf through QEMU's own Multiboot v1 loader (-kernel/-append/-initrd);
#  - testguest.elf through GRUB (grub-mkrescue ISO, "multiboot2 /boot/testguest.elf ...")
#    with the scenarios that need no hypervisor (ring_selftest included), and a few that
#    must fail there, to see the failure paths report correctly; the static-partitioning
#    scenarios (heartbeat, victim, hostile, secret) with their no-hypervisor overrides;
#  - the SMP scenarios with -smp 2 (APs started from QEMU's MADT, IPIs, locks, smp_secret's
#    first boot and its second boot's zero checks), and their failure with one CPU.
# Exits non-zero on any mismatch. Needs qemu-system-x86_64, grub-mkrescue (with
# grub-pc-bin), xorriso and mtools. Run from anywhere: guests/smoke.sh
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
G=$B/guests
QEMU=${QEMU:-qemu-system-x86_64}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
checks=0

for tool in "$QEMU" grub-mkrescue xorriso mformat; do
	command -v "$tool" >/dev/null || { echo "smoke: $tool not found"; exit 2; }
done
make -s guests || exit 2

# qemu_run NAME CPU ARGS...: boots, leaves the serial output in $TMP/NAME.out and the
# QEMU exit code in $TMP/NAME.rc (isa-debug-exit: status s gives (s << 1) | 1).
qemu_run() {
	local name=$1 cpu=$2
	shift 2
	timeout 120 "$QEMU" -accel tcg -cpu "$cpu" -m 128 -display none -monitor none \
		-serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 "$@" \
		</dev/null | tr -d '\r' >"$TMP/$name.out" 2>&1
	echo "${PIPESTATUS[0]}" >"$TMP/$name.rc"
}

# expect NAME REGEX...: each extended regex must match a line of the output.
expect() {
	local name=$1
	shift
	for re in "$@"; do
		checks=$((checks + 1))
		if ! grep -Eq -- "$re" "$TMP/$name.out"; then
			echo "smoke: $name: no line matches /$re/"
			failures=$((failures + 1))
		fi
	done
}

expect_not() {
	local name=$1 re=$2
	checks=$((checks + 1))
	if grep -Eq -- "$re" "$TMP/$name.out"; then
		echo "smoke: $name: unexpected line matching /$re/"
		failures=$((failures + 1))
	fi
}

expect_rc() {
	local name=$1 want=$2 got
	got=$(cat "$TMP/$name.rc")
	checks=$((checks + 1))
	if [ "$got" != "$want" ]; then
		echo "smoke: $name: QEMU exit code $got, want $want"
		failures=$((failures + 1))
	fi
}

# iso NAME CMDLINE: a GRUB rescue ISO booting testguest.elf with that command line and
# testrom.bin as a module.
iso() {
	local dir=$TMP/iso-$1
	mkdir -p "$dir/boot/grub"
	cp "$G/testguest.elf" "$G/testrom.bin" "$dir/boot/"
	cat >"$dir/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
menuentry "testguest" {
	multiboot2 /boot/testguest.elf $2
	module2 /boot/testrom.bin testrom
	boot
}
CFG
	grub-mkrescue -o "$TMP/$1.iso" "$dir" >/dev/null 2>&1 || { echo "smoke: grub-mkrescue failed"; exit 2; }
}

show_on_failure() {
	local name=$1 before=$2
	if [ "$failures" != "$before" ]; then
		echo "---- $name output:"
		cat "$TMP/$name.out"
		echo "----"
	fi
}

# 0. The ROM image: header, length and checksum as docs/abi.md describes them.
checks=$((checks + 1))
if ! python3 - "$G/testrom.bin" <<'PY'; then
import struct, sys
rom = open(sys.argv[1], "rb").read()
magic, length, csum = struct.unpack_from("<8sII", rom)
ok = (len(rom) == 65536 and magic == b"KSTLROM1" and length == 65536 - 16
      and csum == sum(rom[16:]) & 0xFFFFFFFF
      and rom[16:22] == bytes([0xB8, 0x4C, 0x54, 0x53, 0x4B, 0xC3])
      and all(rom[i] == (i * 7 + 3) & 0xFF for i in range(22, len(rom))))
sys.exit(0 if ok else 1)
PY
	echo "smoke: testrom.bin does not match docs/abi.md"
	failures=$((failures + 1))
fi

# 1. mb1 under QEMU's Multiboot v1 loader, with two modules.
printf 'KSMODULE-one' >"$TMP/mod1"
f0=$failures
qemu_run mb1 qemu64 -kernel "$G/mb1.elf" -append "hello smoke" \
	-initrd "$TMP/mod1 first module,$G/testrom.bin"
expect mb1 '^MB1 magic ok$' '^MB1 mem_lower 6[0-9]{2} KiB mem_upper 1[0-9]{5} KiB$' \
	'^MB1 cmdline ".*hello smoke"$' '^MB1 modules 2$' \
	'^MB1 module 0 ".*mod1 first module" at 0x[0-9a-f]{8} size 12 bytes 4b 53 4d 4f 44 55 4c 45$' \
	'^MB1 module 1 ".*testrom.bin" at 0x[0-9a-f]{8} size 65536 bytes 4b 53 54 4c 52 4f 4d 31$' \
	'^MB1 PASS$'
expect_rc mb1 1
show_on_failure mb1 "$f0"

# 2. testguest, default-style run: test=hello through GRUB's multiboot2.
f0=$failures
iso hello "test=hello"
qemu_run hello qemu64 -cdrom "$TMP/hello.iso"
expect hello '^hello: loader "GRUB' '^hello: .*cmdline "test=hello"' \
	'^MMAP 0x0000000000100000-0x[0-9a-f]{16} type 1$' '^MODULE 0x[0-9a-f]{8}-0x[0-9a-f]{8} "testrom"$' \
	'^TEST hello PASS$' '^ALL PASS$'
expect_rc hello 1
show_on_failure hello "$f0"

# 3. What passes without a hypervisor, with 1 GiB pages (-cpu max) and without (qemu64).
for cpu in max qemu64; do
	f0=$failures
	iso nohv-$cpu "test=hello,vmxon,passthrough,mmio_selftest,ring_selftest"
	qemu_run nohv-$cpu $cpu -cdrom "$TMP/nohv-$cpu.iso"
	expect nohv-$cpu '^TEST hello PASS$' '^TEST vmxon PASS$' '^TEST passthrough PASS$' \
		'^TEST mmio_selftest PASS$' '^ring_selftest: slots 1 batch 1: [0-9]+ steps, 1000 batches' \
		'^ring_selftest: corrupted slot caught: message [0-9]+$' \
		'^ring_selftest: self-IPI woke irq_sleep' '^TEST ring_selftest PASS$' '^ALL PASS$'
	expect_rc nohv-$cpu 1
	show_on_failure nohv-$cpu "$f0"
done
expect nohv-max '1 GiB pages yes'
expect nohv-qemu64 '1 GiB pages no'

# 4. Failure paths: a failing check, a fault scenario that "survives", an unknown name.
f0=$failures
iso fails "test=cpuid,oob_read,no_such_test"
qemu_run fails qemu64 -cdrom "$TMP/fails.iso"
expect fails '^TEST cpuid FAIL 40000000\.' '^ATTEMPT read gpa 0x40000000$' \
	'^TEST oob_read FAIL survived' '^TEST no_such_test FAIL unknown scenario$' '^FAILED 3$'
expect_rc fails 3
show_on_failure fails "$f0"

# 5. An unexpected exception ends the run: in QEMU oob_exec runs through whatever reads back
#    at 0x40000000 until it faults.
f0=$failures
iso exc "test=oob_exec,hello"
qemu_run exc qemu64 -cdrom "$TMP/exc.iso"
expect exc '^ATTEMPT execute at gpa 0x40000000$' '^EXCEPTION vector=[0-9]+ \(#[A-Z]+\) error=0x[0-9a-f]+ rip=0x40' \
	'^TEST oob_exec FAIL exception #[A-Z]+ rip=0x' '^FAILED 1$'
expect_not exc '^TEST hello'
expect_rc exc 3
show_on_failure exc "$f0"

# 6. triple_fault: QEMU shuts down (-no-reboot, exit code 0) without the guest saying more.
f0=$failures
iso tf "test=triple_fault"
qemu_run tf qemu64 -cdrom "$TMP/tf.iso"
expect tf '^ATTEMPT triple fault'
expect_not tf 'survived|^EXCEPTION'
expect_rc tf 0
show_on_failure tf "$f0"

# 7. Static-partitioning scenarios without a hypervisor: what runs, and what must fail.
f0=$failures
iso part "test=ring_producer,heartbeat,victim,hostile,spin iters=300000 rounds=2 mib=4 list=1 spin_iters=1000"
qemu_run part max -cdrom "$TMP/part.iso"
expect part '^TEST ring_producer FAIL no hypervisor' '^ALIVE 250000$' \
	'^TEST heartbeat FAIL 300 of 300 heartbeats failed, the first faulted' \
	'^VICTIM filled 4 MiB at 0x[0-9a-f]+ checksum 0x[0-9a-f]{16}$' \
	'^VICTIM alive 2 checksum 0x[0-9a-f]{16} ok$' '^TEST victim PASS$' \
	'^ATTACK 0/[0-9]+ probes: ' '^ATTACK 1/[0-9]+ (read|write|execute at) gpa 0x[0-9a-f]+ \(just ' \
	'^ATTACK [0-9]+/[0-9]+ read gpa 0x[0-9a-f]+ \(sample, 1 GiB page\)$' \
	'^ATTACK [0-9]+/[0-9]+ triple fault' '^ATTACK [0-9]+/[0-9]+ spin without heartbeat$' \
	'^TEST hostile PASS$' '^ATTEMPT spin without heartbeat$' '^TEST spin FAIL survived' '^FAILED 3$'
expect_rc part 3
show_on_failure part "$f0"
total=$(sed -n 's|^ATTACK 0/\([0-9]*\) .*|\1|p' "$TMP/part.out")
total=${total:-0}

# 8. A changed victim, hostile boots (a survived attack, a triple fault, the last), secret.
f0=$failures
iso victim-bad "test=victim rounds=3 corrupt=2"
qemu_run victim-bad qemu64 -cdrom "$TMP/victim-bad.iso"
expect victim-bad '^VICTIM alive 1 checksum' '^VICTIM checksum changed: 0x' \
	'^TEST victim FAIL checksum changed: first at 0x[0-9a-f]+: ' '^FAILED 1$'
expect_not victim-bad '^VICTIM alive 2'
show_on_failure victim-bad "$f0"
f0=$failures
iso hostile-1 "test=hostile restarts=1"
qemu_run hostile-1 max -cdrom "$TMP/hostile-1.iso"
expect hostile-1 "^ATTACK 1/$total " '^TEST hostile FAIL survived$'
expect_rc hostile-1 3
show_on_failure hostile-1 "$f0"
f0=$failures
iso hostile-tf "test=hostile restarts=$((total - 2))"
qemu_run hostile-tf max -cdrom "$TMP/hostile-tf.iso"
expect hostile-tf "^ATTACK $((total - 2))/$total triple fault"
expect_not hostile-tf 'survived|^EXCEPTION'
expect_rc hostile-tf 0
show_on_failure hostile-tf "$f0"
f0=$failures
iso hostile-done "test=hostile restarts=$total"
qemu_run hostile-done max -cdrom "$TMP/hostile-done.iso"
expect hostile-done "^HOSTILE DONE $total\$" '^TEST hostile PASS$'
show_on_failure hostile-done "$f0"
f0=$failures
iso secret-0 "test=secret restarts=0"
qemu_run secret-0 qemu64 -cdrom "$TMP/secret-0.iso"
expect secret-0 '^secret: 64 bytes at 0x800000$' '^SECRET written$'
expect_not secret-0 '^TEST secret'
expect_rc secret-0 15
show_on_failure secret-0 "$f0"
f0=$failures
iso secret-1 "test=secret restarts=1"
qemu_run secret-1 qemu64 -cdrom "$TMP/secret-1.iso"
expect secret-1 '^secret: [0-9]+ KiB of RAM scanned, [1-9][0-9]* words not zero$' '^TEST secret FAIL '
expect_rc secret-1 3
show_on_failure secret-1 "$f0"

# 9. Several CPUs: the SMP scenarios on QEMU's own MADT and APICs (TCG has no x2APIC here:
#    smp_ipi says it skips those checks when CPUID lacks it), then with one CPU.
f0=$failures
iso smp2 "test=smp_start,smp_ipi,smp_lock,smp_fault,smp_bench smp_iters=5000 smp_rounds=20"
qemu_run smp2 qemu64 -smp 2 -cdrom "$TMP/smp2.iso"
expect smp2 '^smp: the MADT lists 2 enabled CPUs; the BSP has APIC ID 0$' '^AP 1: APIC ID 1$' \
	'^smp_start: AP 1 \(APIC ID 1\) started by SIPI [12], first instruction [0-9]+ TSC ticks' \
	'^smp_start: a SIPI to each running AP was ignored$' '^TEST smp_start PASS$' \
	'^smp_ipi: 2 CPUs, every IPI taken exactly once where it was sent$' '^TEST smp_ipi PASS$' \
	'^smp_lock: 2 CPUs x 5000: xchg lock 10000, cmpxchg lock 10000, xadd 10000, overlaps 0$' \
	'^TEST smp_lock PASS$' '^smp_fault: no hypervisor: the fault part is skipped$' \
	'^TEST smp_fault PASS$' '^smp_bench: AP 1 start-up: [0-9]+ TSC ticks' \
	'^smp_bench: IPI round trip CPU 0 -> 1 -> 0: min [0-9]+ avg [0-9]+ max [0-9]+ TSC ticks' \
	'^TEST smp_bench PASS$' '^ALL PASS$'
expect_not smp2 '^AP [2-9]|FAIL|^EXCEPTION'
expect_rc smp2 1
show_on_failure smp2 "$f0"
f0=$failures
iso smp1 "test=smp_start,smp_ipi"
qemu_run smp1 qemu64 -cdrom "$TMP/smp1.iso"
expect smp1 '^smp: the MADT lists 1 enabled CPUs; the BSP has APIC ID 0$' '^smp_start: 1 CPUs up$' \
	'^TEST smp_start PASS$' '^TEST smp_ipi FAIL one CPU: no IPI to check$' '^FAILED 1$'
expect_rc smp1 3
show_on_failure smp1 "$f0"
f0=$failures
iso smp-secret-0 "test=smp_secret restarts=0"
qemu_run smp-secret-0 qemu64 -smp 2 -cdrom "$TMP/smp-secret-0.iso"
expect smp-secret-0 '^smp_secret: restarts 0, 2 CPUs$' \
	'^smp_secret: CPU 0: state and 64 bytes at 0x900000 planted$' \
	'^smp_secret: CPU 1: state and 64 bytes at 0x901000 planted$' '^SMP SECRET written$'
expect_not smp-secret-0 '^TEST smp_secret'
expect_rc smp-secret-0 15
show_on_failure smp-secret-0 "$f0"
f0=$failures
iso smp-secret-1 "test=smp_secret restarts=1"
qemu_run smp-secret-1 qemu64 -smp 2 -cdrom "$TMP/smp-secret-1.iso"
expect smp-secret-1 '^secret: [0-9]+ KiB of RAM scanned, [1-9][0-9]* words not zero$' \
	'^smp_secret: CPU 0: state after the restart checked$' \
	'^smp_secret: CPU 1: state after the restart checked$' '^TEST smp_secret FAIL RAM not scrubbed'
expect_rc smp-secret-1 3
show_on_failure smp-secret-1 "$f0"

echo "smoke: $((checks - failures)) passed, $failures failed"
[ "$failures" = 0 ]
