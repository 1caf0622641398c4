#!/bin/sh
# Run an image in Bochs headless and print what the machine wrote to port 0xE9.
# Usage: bochs.sh IMAGE.iso [CPU_MODEL] [MEGS] [CPUS] [TIMEOUT_S]
# BOCHS_COM1: the com1 line's mode and device instead of a file (e.g. "mode=socket-server,
# dev=localhost:PORT": Bochs waits for a client there, which then reads and types on COM1).
# Exit: Bochs's own code (1 on shutdown), 124 on timeout (from timeout(1)), 125 if Bochs
# could not be run. Logs in $BOCHS_DIR
# (default: a temporary directory, removed unless BOCHS_KEEP=1).
set -u
iso=$1 model=${2:-corei7_skylake_x} megs=${3:-128} cpus=${4:-1} tmo=${5:-60}
dir=${BOCHS_DIR:-$(mktemp -d)}
mkdir -p "$dir"
cat > "$dir/bochsrc" <<RC
megs: $megs
cpu: model=$model, count=$cpus, ips=${BOCHS_IPS:-10000000}, reset_on_triple_fault=0
clock: sync=none, time0=1
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path=$iso, status=inserted
boot: cdrom
display_library: rfb, options="timeout=0"
com1: enabled=1, ${BOCHS_COM1:-mode=file, dev=$dir/serial.txt}
port_e9_hack: enabled=1
log: $dir/bochs.log
speaker: enabled=0
sound: driver=dummy
panic: action=fatal
error: action=report
RC
echo c > "$dir/dbg"
# Bochs's status leaves the pipeline through a file (POSIX sh has no pipefail); the output is
# shown as it comes and kept in e9.txt.
# BOCHS_TTY=1 (tools/run.sh at a terminal): Bochs stays in the terminal's foreground (COM1
# in mode=term reads the keyboard) and port 0xE9 goes only to e9.txt (COM1 shows it all).
fg='' show=/dev/stdout
[ "${BOCHS_TTY:-0}" != 1 ] || fg=--foreground show=/dev/null
{
	timeout $fg "$tmo" bochs -q -f "$dir/bochsrc" -rc "$dir/dbg" </dev/null 2>"$dir/stderr"
	echo $? > "$dir/rc"
} | grep -av --line-buffered -e '^Next at' -e '^(0)' -e '^<bochs' -e 'Bochs' -e 'Built from' \
	-e 'Timestamp:' -e '^=\+$' -e '^\s*$' | tee "$dir/e9.txt" > "$show"
status=$(cat "$dir/rc" 2>/dev/null || true)
[ -n "${BOCHS_DIR:-}" ] || [ "${BOCHS_KEEP:-0}" = 1 ] || rm -rf "$dir"
exit "${status:-125}"
