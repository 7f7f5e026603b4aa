#!/bin/sh
# SPDX-License-Identifier: MIT
# The main job: install what is missing, build optimised (build-release), and run it.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build-release --buildtype=release -Dtests=disabled
# tcectl simulate on its built-in default scenario: a 16 GiB guest, 2 PHBs with one
# VFIO group each, KVM acceleration, a whole IOMMU life cycle; it fails loudly if the
# ledger does not balance or a page stays pinned. The rates it prints are those of
# an optimised build.
exec build-release/tools/tcectl/tcectl simulate "$@"
