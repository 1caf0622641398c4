# Build the hypervisor image, the guests, host tests, fuzzers and benchmarks.
# Host-buildable modules (mm/ ept/ emul/ vm/ and the multiboot2 parser) are
# compiled twice: freestanding into the image, and for the host under ASan/UBSan.

CROSS_COMPILE ?=
CC      := $(CROSS_COMPILE)gcc
LD      := $(CROSS_COMPILE)ld
OBJDUMP := $(CROSS_COMPILE)objdump
OBJCOPY := $(CROSS_COMPILE)objcopy
HOSTCC  ?= gcc
FUZZCC  ?= clang
B       := build

WARN    := -Wall -Wextra -Werror -Wno-unused-parameter
# -fpie: the image is position-independent (linker.ld, boot/entry.S relocates it).
KCFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-builtin -fno-stack-protector \
	-fpie -fvisibility=hidden -mno-red-zone -mcmodel=small -mgeneral-regs-only \
	-fno-omit-frame-pointer -fno-asynchronous-unwind-tables -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) -I. $(WARN) -MMD -MP
KASFLAGS := -D__ASSEMBLY__ -I. -MMD -MP
KLDFLAGS := -nostdlib -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
	-pie --no-dynamic-linker -z text -z norelro --hash-style=sysv

# Host-buildable sources: these must not touch hardware.
HOST_SRCS := $(wildcard mm/*.c ept/*.c emul/*.c vm/*.c fw/*.c loader/*.c devices/*.c) \
	config/validate.c config/cmdvm.c lib/printf.c lib/console.c lib/cmdline.c \
	drivers/fbcon.c drivers/font8x16.c
# Hypervisor-only sources.
HV_ONLY   := $(wildcard boot/*.S boot/*.c arch/x86/*.S arch/x86/*.c vmx/*.c vmx/*.S drivers/*.c \
	hv/*.c config/builtin.c) lib/string.c
HV_SRCS   := $(sort $(HV_ONLY) $(HOST_SRCS))
HV_OBJS   := $(patsubst %,$(B)/hv/%.o,$(HV_SRCS))

.PHONY: all run help test test-slow check layers-check headers-check format format-check fuzz bench clean unit fuzz-short integration guests
all: $(B)/hv.elf $(B)/hv.lst $(B)/hv.iso guests

# A flag change here (the image went -fpie) must not leave objects built the old way.
$(HV_OBJS): Makefile
$(B)/hv/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(KCFLAGS) -c $< -o $@
# The exit paths run on every VM exit: no frame pointer there, which is a push, a move and
# a pop per function (docs/vmx.md; a backtrace through them stops at their caller).
$(B)/hv/vmx/exit.c.o $(B)/hv/vmx/exit_insn.c.o $(B)/hv/vmx/mmio.c.o $(B)/hv/emul/emulate.c.o: \
	KCFLAGS += -fomit-frame-pointer
$(B)/hv/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(KASFLAGS) -c $< -o $@

# GRUB refuses an ELF with relocation sections: .rela.dyn is retyped (tools/elf_norela.py).
$(B)/hv.elf: $(HV_OBJS) linker.ld tools/elf_norela.py
	$(LD) $(KLDFLAGS) -T linker.ld -o $@.tmp $(HV_OBJS)
	python3 tools/elf_norela.py $@.tmp
	mv $@.tmp $@
$(B)/hv.lst: $(B)/hv.elf
	$(OBJDUMP) -S $< > $@

-include guests/guests.mk

# The product image: one hybrid BIOS+UEFI GRUB ISO, dd-able to a USB stick. Its menu has an
# entry per user-facing built-in configuration, which a host build of the table lists.
$(B)/hv.iso: $(B)/hv.elf $(GUEST_ELFS) $(B)/listconfigs tools/mkimage.sh
	LISTCONFIGS=$(B)/listconfigs tools/mkimage.sh $@ $(B)/hv.elf --menu $(GUEST_MODULES)
$(B)/listconfigs: tools/listconfigs.c config/builtin.c config/builtin.h config/config.h
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O1 -I. -DHOST_BUILD $(WARN) -o $@ tools/listconfigs.c config/builtin.c

# ---- host unit tests (cmocka, ASan + UBSan) ----
HOSTFLAGS := -std=gnu11 -g -O1 -I. -DHOST_BUILD -fsanitize=address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer $(WARN)
UNIT_TESTS := $(patsubst test/unit/%.c,$(B)/host/%,$(wildcard test/unit/test_*.c))
HOST_SUPPORT := test/unit/fake_page.c
# The host-buildable modules are compiled once per flavour and linked into every test.
HOST_OBJS := $(patsubst %.c,$(B)/host/obj/%.o,$(HOST_SRCS) $(HOST_SUPPORT))
$(B)/host/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOSTFLAGS) -MMD -MP -c $< -o $@
$(B)/host/%: test/unit/%.c $(HOST_OBJS) $(wildcard */*.h test/unit/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HOSTFLAGS) -o $@ $< $(HOST_OBJS) -lcmocka -lZydis
unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; $$t; done

# ---- libFuzzer targets ----
NPROC := $(shell nproc 2>/dev/null || echo 2)
FUZZ_TARGETS := $(patsubst test/fuzz/%.c,$(B)/fuzz/%,$(wildcard test/fuzz/fuzz_*.c))
FUZZFLAGS := -std=gnu11 -g -O1 -I. -DHOST_BUILD -fsanitize=fuzzer,address,undefined $(WARN)
FUZZ_OBJS := $(patsubst %.c,$(B)/fuzz/obj/%.o,$(HOST_SRCS) $(HOST_SUPPORT))
# Objects reached only through the pattern rules above would count as intermediate and be
# deleted at the end of a run (then rebuilt by the next): keep them.
.SECONDARY: $(HOST_OBJS) $(FUZZ_OBJS)
$(B)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZCC) $(subst -fsanitize=fuzzer,-fsanitize=fuzzer-no-link,$(FUZZFLAGS)) -MMD -MP -c $< -o $@
$(B)/fuzz/%: test/fuzz/%.c $(FUZZ_OBJS) $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(FUZZCC) $(FUZZFLAGS) -o $@ $< $(FUZZ_OBJS) -lZydis
FUZZ_SECONDS ?= 10
# A fixed seed keeps the short runs in make test repeatable; make fuzz explores anew.
FUZZ_SEED ?= 1
# One run per target, as many at once as there are CPUs (each is single-threaded).
FUZZ_RUNS := $(patsubst $(B)/fuzz/%,fuzz-run-%,$(FUZZ_TARGETS))
.PHONY: $(FUZZ_RUNS)
fuzz-short: $(FUZZ_TARGETS)
	@$(MAKE) --no-print-directory -j$(NPROC) $(FUZZ_RUNS)
$(FUZZ_RUNS): fuzz-run-%: $(B)/fuzz/%
	@n=$*; mkdir -p $(B)/corpus/$$n; seeds=$$(ls -d test/fuzz/corpus/$$n 2>/dev/null || true); \
	  if ! $< -max_total_time=$(FUZZ_SECONDS) -seed=$(FUZZ_SEED) -print_final_stats=1 -artifact_prefix=$(B)/ \
	      $(B)/corpus/$$n $$seeds > $(B)/fuzz-$$n.log 2>&1; then \
	    tail -40 $(B)/fuzz-$$n.log; echo "FUZZ FAILED: $$n (log: $(B)/fuzz-$$n.log)"; exit 1; fi; \
	  echo "== $< ($(FUZZ_SECONDS)s): $$(grep -E "stat::number_of_executed_units" $(B)/fuzz-$$n.log || true)"
fuzz:
	$(MAKE) fuzz-short FUZZ_SECONDS=600 FUZZ_SEED=0

# ---- integration (Bochs, QEMU TCG, QEMU+OVMF) ----
integration: all
	python3 test/integration/run.py

# Everything is built first with one job per CPU, then the checks and tests run in order.
test:
	$(MAKE) --no-print-directory -j$(NPROC) all $(UNIT_TESTS) $(FUZZ_TARGETS)
	$(MAKE) --no-print-directory check unit fuzz-short integration

# The slow integration cases (four more Linux boots: reboot, typed shell, Linux next to a
# guest, Linux with two vCPUs), kept out of make test's 15 minutes; .ci/run runs both.
test-slow: all
	python3 test/integration/run.py --slow

# ---- benchmarks ----
bench: all
	python3 bench/run.py

# ---- run: Bochs here, nested KVM where the host has VMX ----
# make run: the demo image. make run KERNEL=path [INITRD=path] [CMDLINE="..."] [RAM=256M]
# [VCPUS=1] [TIMEOUT=s]: your own kernel in a VM. make exits 0 or 2 only; tools/run.sh with
# the same arguments gives the exact status (its header has the table).
shq = '$(subst ','\'',$(1))'
RUN_ARGS = $(if $(INITRD),--initrd $(call shq,$(INITRD))) \
	$(if $(CMDLINE),--cmdline $(call shq,$(CMDLINE))) $(if $(RAM),--ram $(call shq,$(RAM))) \
	$(if $(VCPUS),--vcpus $(call shq,$(VCPUS))) $(if $(TIMEOUT),--timeout $(call shq,$(TIMEOUT))) \
	$(if $(KERNEL),$(call shq,$(KERNEL)),$(B)/hv.iso)
# make can only say 0 or 2: a clean end (a power-off, or debug-exit value 0, which run.sh
# reports as 1 like QEMU's isa-debug-exit) is success; tools/run.sh gives the exact status.
run: all
	@rc=0; tools/run.sh $(RUN_ARGS) || rc=$$?; \
	  if [ $$rc -gt 1 ]; then echo "make run: tools/run.sh exit status $$rc (see its --help)"; exit 1; fi

help:
	@echo 'Targets:'
	@echo '  all (default)  build/hv.elf, build/hv.lst, build/hv.iso (GRUB menu of the built-in'
	@echo '                 configurations) and the guests in build/guests/'
	@echo '  run            boot build/hv.iso (the demo) in Bochs, or nested KVM where the host has VT-x'
	@echo '  run KERNEL=..  boot your own kernel (Multiboot/Multiboot2 ELF or Linux bzImage) in a VM'
	@echo '  test           check + unit + fuzz-short + integration (~11 minutes; fetches Debian'"'"'s kernel)'
	@echo '  test-slow      the four slow Linux cases (~6 minutes); .ci/run runs test and test-slow'
	@echo '  check          format-check, headers-check, cppcheck, clang-tidy'
	@echo '  unit           host unit tests (cmocka, ASan + UBSan)'
	@echo '  fuzz-short     every libFuzzer target for FUZZ_SECONDS (10) s; fuzz: 600 s each'
	@echo '  integration    boots in Bochs, QEMU TCG and QEMU+OVMF (test/integration/run.py)'
	@echo '  bench          benchmark tables (Bochs instruction counts)'
	@echo '  format         clang-format every C file;  clean: remove build/'
	@echo 'Variables for make run:'
	@echo '  KERNEL=path    the guest kernel (ELF with a Multiboot or Multiboot2 header, or a bzImage)'
	@echo '  INITRD=path    a boot module passed on to it (module name "initrd"; a bzImage'"'"'s initrd)'
	@echo '  CMDLINE="..."  its command line'
	@echo '  RAM=256M       its RAM at GPA 0 (K/M/G suffixes, or 0x hex)'
	@echo '  VCPUS=1        vCPUs (one today; more is refused by the hypervisor)'
	@echo '  TIMEOUT=300    seconds before the run is stopped'
	@echo 'make itself exits 0 or 2; tools/run.sh with the same options gives the exact status'
	@echo '(debug-exit (V<<1)|1, 0 clean, 2 refused, 4 guest fault, 6 bug, 8 timeout): tools/run.sh --help'

# ---- style and static analysis ----
C_FILES := $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(C_FILES)
format-check:
	clang-format --dry-run --Werror $(C_FILES)
# Every header compiles on its own (no hidden include-order dependencies).
HEADERS := $(shell git ls-files '*.h' 2>/dev/null | grep -v '^guests/\|^test/')
headers-check:
	@set -e; for h in $(HEADERS); do \
	  echo "#include \"$$h\"" | $(HOSTCC) -std=gnu11 -fsyntax-only -Wall -Werror -I. -DHOST_BUILD -x c - \
	  || { echo "headers-check: $$h does not compile alone"; exit 1; }; done
	@echo "headers-check: $(words $(HEADERS)) headers compile alone"

# Folders call only downward: no include cycle between top-level folders.
layers-check:
	python3 tools/test_layers.py
	python3 tools/layers.py

check: format-check headers-check layers-check
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
	  --suppress=missingIncludeSystem -I. -DHOST_BUILD $(HOST_SRCS)
	@# One clang-tidy process per file: with several files in one process, LLVM 14's
	@# valist checker stops recognising va_start/va_copy after the first file and
	@# reports every va_arg as uninitialised (LLVM bug 41311).
	@echo "clang-tidy: $(words $(HOST_SRCS)) files"
	@printf '%s\n' $(HOST_SRCS) | xargs -P "$$(nproc)" -I{} \
	  sh -c 'out=$$(clang-tidy --quiet {} -- -I. -DHOST_BUILD -std=gnu11 2>&1) \
	    || { printf "%s\n" "$$out"; exit 1; }'

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# ---- host microbenchmarks (no sanitizers, optimised) ----
$(B)/bench/%: bench/%.c $(HOST_SRCS) $(HOST_SUPPORT) $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O2 -g -I. -DHOST_BUILD $(WARN) -o $@ $< $(HOST_SRCS) $(HOST_SUPPORT) -lZydis

print-guest-modules:
	@echo $(GUEST_MODULES)
