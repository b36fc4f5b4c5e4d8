#!/bin/sh
# The "same work" baseline of bench/ingest (--md5-baseline): curl with the arguments given, then
# the MD5 of the file it wrote (the argument after -o), read back from the page cache — what
# OpenVOD does with every byte (it hashes on the way instead), done the shell way.
curl "$@" || exit $?
out=""
prev=""
for arg in "$@"; do
  [ "$prev" = "-o" ] && out="$arg"
  prev="$arg"
done
md5sum "$out" > /dev/null
