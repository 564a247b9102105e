# scripts/testbed.d/brickfs.sh - sourced by scripts/testbed: bricks on their own filesystems.
#
# `brickfs NODE NAME SIZE_MB` makes a sparse image <state>/<node>/brickfs/NAME.img, formats
# it (xfs when mkfs.xfs exists and SIZE_MB >= 300, as gluster recommends; ext4 otherwise;
# TESTBED_BRICKFS=ext4|xfs overrides), attaches it to a loop device and mounts it at
# <state>/<node>/bricks/NAME inside NODE's mount namespace only. The brick directory is the
# subdirectory <mount>/brick (gluster's advice: a brick is never the mount point itself, so a
# brick whose filesystem is not mounted fails instead of filling the parent filesystem). It
# prints that brick as ADDRESS:PATH, ready for `volume create`/`add-brick`.
#
# Every loop device is recorded in <state>/<node>/brickfs/NAME.loop; brickfs_down (called by
# `down` before the namespaces go) unmounts, detaches and removes them, idempotently.

brickfs_dir() { echo "$STATE/$1/brickfs"; }

cmd_brickfs() {
    (($# == 3)) || die "usage: brickfs NODE NAME SIZE_MB"
    local node=$1 name=$2 size=$3 d img mnt loop fs
    node_index "$node" >/dev/null
    [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "brickfs: bad NAME '$name'"
    [[ $size =~ ^[0-9]+$ ]] && ((size >= 16)) || die "brickfs: SIZE_MB must be an integer >= 16"
    anchor_pid "$node" >/dev/null
    d=$(brickfs_dir "$node")
    img="$d/$name.img"
    mnt="$STATE/$node/bricks/$name"
    [[ -e $img ]] && die "brickfs: $img exists already"
    fs=${TESTBED_BRICKFS:-}
    if [[ -z $fs ]]; then
        if command -v mkfs.xfs >/dev/null && ((size >= 300)); then fs=xfs; else fs=ext4; fi
    fi
    mkdir -p "$d" "$mnt"
    truncate -s "${size}M" "$img"
    case "$fs" in
        xfs) mkfs.xfs -q -f -i size=512 "$img" >/dev/null ;;
        ext4) mkfs.ext4 -q -F "$img" ;;
        *) die "brickfs: TESTBED_BRICKFS must be xfs or ext4, not '$fs'" ;;
    esac
    loop=$(losetup -f --show "$img")
    echo "$loop" >"$d/$name.loop"
    in_node "$node" mount "$loop" "$mnt"
    in_node "$node" mkdir -p "$mnt/brick"
    log "brickfs: $fs ${size} MB on $loop mounted at $mnt in $node"
    echo "$(node_addr "$node"):$mnt/brick"
}

# Unmount every brick filesystem inside its node, detach the loop devices, delete the images.
# Runs while the anchors still live (their mount namespaces hold the mounts); safe to repeat.
brickfs_down() {
    local node d a mp
    for node in "${NODES[@]}"; do
        d=$(brickfs_dir "$node")
        [[ -d $d ]] || continue
        a=$(cat "$STATE/$node/anchor.pid" 2>/dev/null || true)
        if pid_alive "$a"; then
            while read -r mp; do
                [[ -n $mp ]] || continue
                nsenter -t "$a" -m -- umount "$mp" 2>/dev/null \
                    || nsenter -t "$a" -m -- umount -l "$mp" 2>/dev/null || true
            done < <(awk -v s="$STATE/$node/bricks/" 'index($5, s) == 1 {print $5}' \
                "/proc/$a/mountinfo" 2>/dev/null | sort -r)
        fi
    done
}

# After every process is gone: detach whatever loop device still points at an image.
brickfs_detach() {
    local node d f loop img
    for node in "${NODES[@]}"; do
        d=$(brickfs_dir "$node")
        [[ -d $d ]] || continue
        for f in "$d"/*.loop; do
            [[ -f $f ]] || continue
            loop=$(<"$f")
            img="${f%.loop}.img"
            # detach only if the loop device still serves this image (numbers get reused)
            if losetup -j "$img" 2>/dev/null | grep -q "^$loop:"; then
                losetup -d "$loop" 2>/dev/null || log "brickfs: could not detach $loop"
            fi
            rm -f "$f"
        done
        for img in "$d"/*.img; do
            [[ -f $img ]] || continue
            while read -r loop; do
                [[ -n $loop ]] && { losetup -d "$loop" 2>/dev/null || log "brickfs: could not detach $loop"; }
            done < <(losetup -j "$img" 2>/dev/null | cut -d: -f1)
            # a detach of a device still in use is deferred until its last user lets go
            wait_for 10 brickfs_unattached "$img" || log "brickfs: $img is still attached: $(losetup -j "$img")"
            rm -f "$img"
        done
    done
}

brickfs_unattached() { [[ -z $(losetup -j "$1" 2>/dev/null) ]]; }
