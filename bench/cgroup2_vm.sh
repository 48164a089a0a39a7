#!/bin/sh
# Boots this machine's own file system, read-only, in a small QEMU guest whose only cgroup
# hierarchy is cgroup v2 (every controller on it), and runs a command there: as root, or as an
# unprivileged user holding a delegated subtree, like the shipped image's non-root user.
#
#   bench/cgroup2_vm.sh OUTDIR COMMAND...     (as root on the host)
#
# These machines' KVM runs only paravirtualised (PVM) guests, so the guest is emulated (TCG):
# it boots in about 12 s, imports NumPy in about 10 s, and runs everything 5-20 times slower.
# GUEST_ACCEL overrides the accelerator (e.g. "-enable-kvm -cpu host" where KVM works).
#
# Needs: qemu-system-x86 linux-image-amd64 busybox-static (Debian packages). The guest sees
# the host's / read-only over 9p, with fresh tmpfs on /tmp, /run, /var/tmp and /dev/shm; OUTDIR
# (host) is writable at the same path in the guest, and COMMAND's output lands in OUTDIR/guest.log.
# Environment: GUEST_USER=root|delegated|container (default delegated; container: uid 1000 in its
# own cgroup namespace with the subtree mounted at /sys/fs/cgroup, as a container sees it),
# GUEST_MEM_MB (default 6144), GUEST_TIMEOUT (seconds, default 1800).
set -eu
mkdir -p "$1"; OUT=$(realpath "$1"); shift
KVER=${KVER:-$(ls /lib/modules | grep -m1 amd64)}
MEM=${GUEST_MEM_MB:-6144}
USERMODE=${GUEST_USER:-delegated}
WORK=$(mktemp -d /tmp/cgroup2-vm.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/init/bin" "$WORK/init/mod" "$WORK/init/newroot" "$WORK/init/proc" "$WORK/init/sys" "$WORK/init/dev"
cp /bin/busybox "$WORK/init/bin/busybox"
MODS="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p"
for m in $MODS; do
  f=$(modinfo -k "$KVER" -n "$m")
  case "$f" in
    *.xz) xz -dc "$f" > "$WORK/init/mod/$m.ko" ;;
    *.zst) zstd -dcq "$f" > "$WORK/init/mod/$m.ko" ;;
    *) cp "$f" "$WORK/init/mod/$m.ko" ;;
  esac
done
printf '%s\n' "$@" > "$WORK/init/command"
cat > "$WORK/init/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $MODS; do insmod /mod/\$m.ko || echo "insmod \$m failed"; done
R=/newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=524288 hostroot \$R
mount -t proc proc \$R/proc
mount -t sysfs sys \$R/sys
mount -t devtmpfs dev \$R/dev
mkdir -p \$R/dev/shm \$R/dev/pts; mount -t tmpfs -o mode=1777 shm \$R/dev/shm; mount -t devpts pts \$R/dev/pts
for d in /tmp /var/tmp; do mount -t tmpfs -o mode=1777 tmp \$R\$d; done
mount -t tmpfs -o mode=755 run \$R/run
mount -t cgroup2 cgroup2 \$R/sys/fs/cgroup
mount -t 9p -o trans=virtio,version=9p2000.L,rw,msize=524288 out \$R$OUT
# /root is 0700 on the host: a tmpfs over it lets any user reach the interpreter under .pyenv.
if [ -d \$R/root/.pyenv ]; then
  mkdir -p /pyenv; mount --bind \$R/root/.pyenv /pyenv
  mount -t tmpfs -o mode=755 rootdir \$R/root; mkdir \$R/root/.pyenv; mount --bind /pyenv \$R/root/.pyenv
fi
hostname cgroup2-guest
ip link set lo up 2>/dev/null
echo "guest kernel \$(uname -r); cgroup: \$(cat \$R/proc/self/cgroup); controllers: \$(cat \$R/sys/fs/cgroup/cgroup.controllers)" > \$R$OUT/guest.log
# switch_root, not chroot: the kernel refuses a new user namespace to a chrooted process.
cat > \$R$OUT/.guest-init.sh <<'GUEST'
#!/bin/sh
/usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp GUEST_USER=$USERMODE /bin/sh $OUT/.guest-run.sh >> $OUT/guest.log 2>&1
echo "guest exit \$?" >> $OUT/guest.log
sync
/bin/busybox poweroff -f
GUEST
exec switch_root \$R /bin/sh $OUT/.guest-init.sh
INIT
chmod +x "$WORK/init/init"
# The guest's start: as root, or as uid 1000 in a cgroup v2 subtree delegated to it (the
# kernel's delegation rules: the directory, cgroup.procs, cgroup.subtree_control and
# cgroup.threads owned by the user), with its processes already inside.
{
  echo 'set -u'
  echo 'C=/sys/fs/cgroup'
  echo 'echo "+memory +pids +cpu" > $C/cgroup.subtree_control'
  echo 'if [ "$GUEST_USER" = delegated ]; then'
  echo '  mkdir -p $C/delegated'
  echo '  chown 1000:1000 $C/delegated $C/delegated/cgroup.procs $C/delegated/cgroup.subtree_control $C/delegated/cgroup.threads'
  echo '  echo $$ > $C/delegated/cgroup.procs'
  echo '  exec setpriv --reuid 1000 --regid 1000 --clear-groups --inh-caps=-all --reset-env -- env HOME=/tmp PATH=/usr/local/bin:/usr/bin:/bin "$@"'
  echo 'fi'
  echo 'if [ "$GUEST_USER" = container ]; then  # as a container: its own cgroup namespace, the subtree mounted'
  echo '  mkdir -p $C/container'
  echo '  chown 1000:1000 $C/container $C/container/cgroup.procs $C/container/cgroup.subtree_control $C/container/cgroup.threads'
  echo '  echo $$ > $C/container/cgroup.procs'
  echo '  exec unshare --cgroup --mount --propagation private sh -c '"'"'umount /sys/fs/cgroup && mount -t cgroup2 container /sys/fs/cgroup && exec setpriv --reuid 1000 --regid 1000 --clear-groups --inh-caps=-all --reset-env -- env HOME=/tmp PATH=/usr/local/bin:/usr/bin:/bin "$@"'"'"' sh "$@"'
  echo 'fi'
  echo 'exec "$@"'
} > "$OUT/.guest-run.sh.head"
{
  cat "$OUT/.guest-run.sh.head"
} > "$OUT/.guest-run.sh"
rm "$OUT/.guest-run.sh.head"
# The command: its words, quoted, become the script's arguments.
CMD=""
for w in "$@"; do CMD="$CMD '$(printf %s "$w" | sed "s/'/'\\\\''/g")'"; done
sed -i "1a set --$CMD" "$OUT/.guest-run.sh"
(cd "$WORK/init" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/initrd.gz"
timeout "${GUEST_TIMEOUT:-1800}" qemu-system-x86_64 ${GUEST_ACCEL:--accel tcg,thread=multi -cpu max} -smp "$(nproc)" -m "$MEM" -nographic -no-reboot \
  -kernel "/boot/vmlinuz-$KVER" -initrd "$WORK/initrd.gz" \
  -append "console=ttyS0 ${GUEST_QUIET-quiet} panic=-1 ${GUEST_EXTRA:-} cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs "local,path=$OUT,mount_tag=out,security_model=none,multidevs=remap" \
  > "$OUT/console.log" 2>&1 || true
cat "$OUT/guest.log"
