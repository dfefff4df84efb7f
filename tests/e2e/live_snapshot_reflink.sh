#!/bin/bash
# live_snapshot on XFS with reflink in a loop file: the disks cloned
# before the pause, the blocks the guest wrote since copied in it, and
# the restore as fsck-clean and as up to date as on ext4.
LIVE_FS=xfs exec bash "$(dirname "$0")/live_snapshot.sh"
