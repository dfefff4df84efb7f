#!/bin/sh
# rpcgen.sh RPCGEN MODE OUT IN: runs rpcgen (-h header, -c XDR routines) on
# a copy of IN (NAME.x) next to OUT, so that the XDR file includes
# "NAME.h", and replaces OUT (rpcgen will not overwrite).
set -e
rpcgen=$1 mode=$2 out=$3 in=$4
name=$(basename "$in")
work="$out.d"
mkdir -p "$work"
cp "$in" "$work/$name"
rm -f "$out"
cd "$work"
"$rpcgen" "$mode" -M -N -o "../$(basename "$out")" "$name"
