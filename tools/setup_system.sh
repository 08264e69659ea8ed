#!/usr/bin/env bash
# Installs the Debian packages the project needs when they are missing.
# Runs as root on the project's machines; elsewhere it tells what to install.
set -euo pipefail
missing=()
[ -d /usr/share/datasets/fashion-mnist ] || missing+=(dataset-fashion-mnist)
command -v g++ >/dev/null || missing+=(g++)
command -v tclsh >/dev/null || missing+=(tcl)  # tests/test_emitted_strings.py runs run_hls.tcl
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
    echo "error: missing Debian packages: ${missing[*]}; run: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
